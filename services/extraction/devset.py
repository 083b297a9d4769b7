"""Score extraction + geocoding in-process on the development set (`../shared/data/devset`), with
the scorer's own matching (`../shared/tools/evaluate.py`, loaded from its file), so the figures are
the ones `evaluate.py` gives through the stack, in seconds instead of a stack run.

    python -m services.extraction.devset [--devset DIR] [--subset later-61.txt ...] [--show-errors]
                                         [--json OUT]

Each report is read as the stack reads what `evaluate.py` posts: its text and title, published at
noon UTC of its `published` date, in the language ingestion detects (here: the file's `language`,
which lingua agrees with on every devset report). Without `--subset`, figures are given for all
reports and for each subset list found in the folder (`*.txt`).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

DEFAULT_DEVSET = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "devset"
SCORER = Path("tools") / "evaluate.py"  # relative to the folder that holds data/devset
Predict = Callable[[dict], list[dict]]
SUMMARY_KEYS = ("event_f1", "event_precision", "event_recall", "admin1_f1", "fine_location_recall",
                "count_accuracy", "casualty_accuracy", "events_on_negatives")


def load_scorer(devset: Path) -> ModuleType:
    """`evaluate.py` beside the devset (…/shared/tools/evaluate.py), imported from its file."""
    path = devset.resolve().parents[1] / SCORER
    spec = importlib.util.spec_from_file_location("dronewatch_devset_scorer", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no scorer at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_reports(devset: Path, subset: Path | None = None) -> list[dict]:
    files = sorted(devset.glob("*.json"))
    if subset is not None:
        wanted = {line.strip() for line in subset.read_text(encoding="utf-8").splitlines() if line.strip()}
        files = [f for f in files if f.name in wanted]
    return [json.loads(f.read_text(encoding="utf-8")) | {"_file": f.name} for f in files]


def as_case(report: dict) -> dict:
    """The report as the stack receives it from `evaluate.py`."""
    published = report.get("published")
    return {"id": report["id"], "text": report["text"], "title": report.get("title"),
            "language": report.get("language"),
            "published_at": f"{published}T12:00:00+00:00" if published else None}


def score(scorer: ModuleType, reports: Iterable[dict], predictions: dict[str, list[dict]],
          show_errors: bool = False, out=sys.stdout) -> dict:
    """`evaluate.py`'s totals over `reports`, given each report's predicted public events."""
    t = dict(gold=0, pred=0, tp=0, a1_gold=0, a1_pred=0, a1_tp=0, fine_gold=0, fine_hit=0, count_gold=0,
             count_hit=0, cas_gold=0, cas_hit=0, neg_articles=0, neg_fp=0, n=0)
    for art in reports:
        gold, pred = art.get("events") or [], predictions[art["id"]]
        t["n"] += 1
        if not gold:
            t["neg_articles"] += 1
            t["neg_fp"] += len(pred)
        t["gold"] += len(gold)
        t["pred"] += len(pred)
        typed = scorer.match_events(gold, pred, use_type=True)
        t["tp"] += len(typed)
        gold_places, pred_places = scorer._distinct(gold), scorer._distinct(pred)
        loc_pairs = scorer.match_events(gold_places, pred_places, use_type=False)
        g1 = {scorer.admin1_code((e.get("location") or {}).get("admin1")) for e in gold} - {None}
        p1 = {(e.get("location") or {}).get("admin1_code") for e in pred} - {None}
        t["a1_gold"] += len(g1)
        t["a1_pred"] += len(p1)
        t["a1_tp"] += sum(1 for c in g1 if any(scorer.same_admin1(c, d) for d in p1))
        matched = {gi for gi, _ in loc_pairs}
        for gi, g in enumerate(gold_places):
            if (g.get("location") or {}).get("level") in scorer.FINE:
                t["fine_gold"] += 1
                t["fine_hit"] += gi in matched
        wrong = []  # matched events whose count or toll differs: (field, gold value, predicted, gold event)
        for gi, pi in typed:
            g, p = gold[gi], pred[pi]
            if g.get("count") is not None:
                t["count_gold"] += 1
                t["count_hit"] += p.get("count") == g["count"]
                if p.get("count") != g["count"]:
                    wrong.append(("count", g["count"], p.get("count"), g))
            for field in ("killed", "injured"):
                if g.get(field) is not None:
                    t["cas_gold"] += 1
                    t["cas_hit"] += (p.get(field) or 0) == g[field]
                    if (p.get(field) or 0) != g[field]:
                        wrong.append((field, g[field], p.get(field), g))
        if show_errors and (len(typed) < len(gold) or len(typed) < len(pred) or wrong):
            hit_g, hit_p = {g for g, _ in typed}, {p for _, p in typed}
            print(f"--- {art['id']} ({art.get('language')})", file=out)
            for field, want, got, g in wrong:
                print(f"  {field}: gold {want}, predicted {got}:", scorer._brief(g), file=out)
            for gi, g in enumerate(gold):
                if gi not in hit_g:
                    print("  missed:  ", scorer._brief(g), file=out)
            for pi, p in enumerate(pred):
                if pi not in hit_p:
                    print("  spurious:", scorer._brief(p), file=out)
    p, r, f = scorer.f1(t["tp"], t["pred"], t["gold"])
    _, _, a1f = scorer.f1(t["a1_tp"], t["a1_pred"], t["a1_gold"])

    def ratio(a: str, b: str) -> float | None:
        return round(t[a] / t[b], 3) if t[b] else None

    return {"articles": t["n"], "gold_events": t["gold"], "pred_events": t["pred"],
            "event_precision": round(p, 3), "event_recall": round(r, 3), "event_f1": round(f, 3),
            "admin1_f1": round(a1f, 3), "fine_location_recall": ratio("fine_hit", "fine_gold"),
            "count_accuracy": ratio("count_hit", "count_gold"), "casualty_accuracy": ratio("cas_hit", "cas_gold"),
            "events_on_negatives": t["neg_fp"]}


def predict_all(reports: list[dict], predict: Predict) -> dict[str, list[dict]]:
    return {r["id"]: predict(as_case(r)) for r in reports}


def subsets(devset: Path) -> dict[str, list[dict]]:
    """All reports, each list in the folder (`later-61.txt`, ...), the rest of them ("first"), and
    each language."""
    everything = load_reports(devset)
    out = {"all": everything}
    listed: set[str] = set()
    for lst in sorted(devset.glob("*.txt")):
        names = {line.strip() for line in lst.read_text(encoding="utf-8").splitlines() if line.strip()}
        listed |= names
        out[lst.stem] = [r for r in everything if r["_file"] in names]
    out["rest"] = [r for r in everything if r["_file"] not in listed]
    for lang in ("en", "ru", "uk"):
        out[lang] = [r for r in everything if r.get("language") == lang]
    for name in [n for n in out if n not in ("all", "en", "ru", "uk")]:  # each list by language
        for lang in ("en", "ru", "uk"):
            part = [r for r in out[name] if r.get("language") == lang]
            if part and len(part) < len(out[name]):
                out[f"{name} {lang}"] = part
    return out


def report(devset: Path, predictions: dict[str, list[dict]], scorer: ModuleType) -> dict[str, dict]:
    return {name: score(scorer, reps, predictions) for name, reps in subsets(devset).items()}


def format_table(results: dict[str, dict], names: list[str] | None = None) -> str:
    keys = ("articles", "gold_events", "pred_events") + SUMMARY_KEYS
    names = names or [n for n in results if " " not in n]
    lines = [f"{'':24s}" + "".join(f"{n:>15s}" for n in names)]
    for k in keys:
        lines.append(f"{k:24s}" + "".join(f"{_fmt(results[n].get(k)):>15s}" for n in names))
    return "\n".join(lines)


def _fmt(v) -> str:
    return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--subset", type=Path, help="score only the reports listed in this file")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    if not args.devset.is_dir():
        print(f"no development set at {args.devset}", file=sys.stderr)
        return 2
    from services.extraction.evaluation import Pipeline

    scorer = load_scorer(args.devset)
    pipeline = Pipeline()
    reports = load_reports(args.devset, args.subset)
    predictions = predict_all(reports, pipeline)
    if args.subset or args.show_errors:
        summary = score(scorer, reports, predictions, show_errors=args.show_errors)
        results = {args.subset.stem if args.subset else "all": summary}
    else:
        results = report(args.devset, predictions, scorer)
    print(format_table(results))
    split = [n for n in results if " " in n]
    if split:
        print("\nby language within each list:")
        print(format_table(results, split))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
