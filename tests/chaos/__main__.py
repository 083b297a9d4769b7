"""`make chaos`: python -m tests.chaos [--seed N] [--duration-s 600] [--rate 50] ...

Prints each fault as it happens and the table at the end, writes the table to
var/chaos/seed-N/result.md (with the services' logs beside it) and exits 1 if a check failed."""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from tests.chaos.soak import SoakConfig, Unavailable, format_result, run_soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=None, help="fixes the faults, their times and targets "
                        "(default: a new one, printed)")
    parser.add_argument("--duration-s", type=float, default=600.0, help="load, warm-up included")
    parser.add_argument("--warmup-s", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=50.0, help="reports per second")
    parser.add_argument("--drain-s", type=float, default=240.0, help="longest wait for the stack to drain")
    parser.add_argument("--out", type=Path, default=Path("var/chaos"))
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 100_000)
    data = args.out / f"seed-{seed}"
    cfg = SoakConfig(seed=seed, data_dir=data.resolve(), duration_s=args.duration_s, warmup_s=args.warmup_s,
                     rate=args.rate, drain_s=args.drain_s)
    try:
        result = run_soak(cfg)
    except Unavailable as err:
        print(f"chaos: {err}", file=sys.stderr)
        return 2
    table = format_result(result)
    (data / "result.md").write_text(table + "\n", encoding="utf-8")
    print("\n" + table, flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
