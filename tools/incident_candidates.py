"""Propose candidate incident groups over the development set, for annotating `eval/devset-incidents.yaml`.

    .venv/bin/python tools/incident_candidates.py [--devset ../shared/data/devset] [--days 1]
                                                  [--gold eval/devset-incidents.yaml]

A proposal is a pair of gold events from two different reports that could be one incident by the
rules of docs/quality.md ("Incident gold"): the same type and weapon class, compatible places (the
same place, one containing the other, or points within `NEAR_KM`), and compatible dates (both
reports' dates within `--days`, or a date unknown: the file's `published` is null). Proposals are
printed per pair of reports, with the relation of the places, so that each can be checked by reading
both reports; with `--gold`, each proposal is marked `in gold` / `apart` and gold pairs that the
rules here would not propose are listed too. It prints ids, event indices and gold place names
only, never report text.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from datetime import date
from itertools import combinations
from pathlib import Path

DEFAULT_DEVSET = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "devset"
NEAR_KM = 25.0  # two fine places this close count as one place (docs/quality.md, "Incident gold")
ADMIN2_KM = 40.0  # a place this close to a district's centre is taken to lie in it (evaluate.py's radius)


def km(a: dict, b: dict) -> float | None:
    if a.get("lat") is None or b.get("lat") is None:
        return None
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dp, dl = p2 - p1, math.radians(b["lon"] - a["lon"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _inside(inner: dict, outer: dict) -> bool:
    """'Dniprovskyi District, Kherson' is inside 'Kherson'; a place within `ADMIN2_KM` of a district's
    centre is taken to be inside that district."""
    a, b = (inner.get("name") or "").lower(), (outer.get("name") or "").lower()
    if a.endswith(", " + b):
        return True
    d = km(inner, outer)
    return outer.get("level") == "admin2" and inner.get("level") != "admin2" and d is not None and d <= ADMIN2_KM


def relation(a: dict, b: dict) -> str | None:
    """How two gold places relate: 'same', 'contains' (one holds the other), 'near' or None."""
    if a.get("admin1") != b.get("admin1"):
        return None
    if a.get("admin1") is None:  # sea areas
        return "same" if a.get("name") == b.get("name") else None
    if a.get("name") == b.get("name"):
        return "same"
    if "admin1" in (a.get("level"), b.get("level")):
        return "contains"
    if _inside(a, b) or _inside(b, a):
        return "contains"
    d = km(a, b)
    if d is not None and d <= NEAR_KM:
        return f"near {d:.0f} km"
    return None


def report_date(report: dict) -> date | None:
    return date.fromisoformat(report["published"]) if report.get("published") else None


def proposals(reports: list[dict], days: int) -> dict[tuple[str, str], list[tuple[int, int, str]]]:
    out: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
    for ra, rb in combinations(reports, 2):
        da, db = report_date(ra), report_date(rb)
        if da and db and abs((da - db).days) > days:
            continue
        for i, ea in enumerate(ra.get("events") or []):
            for j, eb in enumerate(rb.get("events") or []):
                if (ea["type"], ea["weapon"]) != (eb["type"], eb["weapon"]):
                    continue
                rel = relation(ea["location"], eb["location"])
                if rel:
                    out[(ra["id"], rb["id"])].append((i, j, rel))
    return out


def gold_pairs(path: Path) -> set[frozenset[str]]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs: set[frozenset[str]] = set()
    for group in data.get("groups") or []:
        pairs |= {frozenset(p) for p in combinations(group["events"], 2)}
    return pairs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--days", type=int, default=1, help="largest gap between two known report dates")
    ap.add_argument("--gold", type=Path, help="mark the proposals that this incident gold file groups")
    args = ap.parse_args(argv)
    reports = [json.loads(f.read_text(encoding="utf-8")) for f in sorted(args.devset.glob("*.json"))]
    by_id = {r["id"]: r for r in reports}
    gold = gold_pairs(args.gold) if args.gold else None
    proposed: set[frozenset[str]] = set()
    for (a, b), pairs in sorted(proposals(reports, args.days).items()):
        print(f"{a} ({by_id[a].get('published') or '?'})  ~  {b} ({by_id[b].get('published') or '?'})")
        for i, j, rel in pairs:
            ea, eb = by_id[a]["events"][i], by_id[b]["events"][j]
            key = frozenset((f"{a}#{i}", f"{b}#{j}"))
            proposed.add(key)
            mark = "" if gold is None else ("  [in gold]" if key in gold else "  [apart]")
            print(f"    {a}#{i} ~ {b}#{j}  {ea['type']}/{ea['weapon']}  {ea['location']['name']} | "
                  f"{eb['location']['name']}  ({rel}){mark}")
    if gold is not None:
        extra = sorted(tuple(sorted(p)) for p in gold - proposed)
        print(f"\ngold pairs not proposed here: {len(extra)}")
        for a, b in extra:
            print(f"    {a} ~ {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
