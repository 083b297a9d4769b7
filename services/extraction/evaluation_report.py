"""The evaluation's report: the P/R/F1 tally, the per-level geocoding table, and the text summary
that `python -m services.extraction.evaluation` prints (see `evaluation` for the matching rules)."""
from __future__ import annotations

from collections import Counter, defaultdict

FIELDS = ("weapon", "count", "killed", "injured", "damage", "claimed_by")
LEVELS = ("admin1", "admin2", "city", "city_district", "street", "other")


class Tally:
    def __init__(self):
        self.c: dict[str, Counter] = defaultdict(Counter)

    def add(self, metric: str, tp: int, n_pred: int, n_gold: int, agree: int = 0, n_pairs: int = 0):
        self.c[metric].update(tp=tp, pred=n_pred, gold=n_gold, agree=agree, pairs=n_pairs)

    def summary(self) -> dict:
        out = {}
        for metric, c in self.c.items():
            p = c["tp"] / c["pred"] if c["pred"] else 0.0
            r = c["tp"] / c["gold"] if c["gold"] else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            row = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
                   "tp": c["tp"], "pred": c["pred"], "gold": c["gold"]}
            if c["pairs"]:
                row["acc"] = round(c["agree"] / c["pairs"], 3)
            out[metric] = row
        return out


def brief(e: dict) -> str:
    loc = e["location"]
    level = loc.get("level") or loc.get("precision")
    where = f"{loc.get('mention')!r}->{loc.get('name')} [{loc.get('admin1_code')} {level}]"
    vals = " ".join(f"{f}={e.get(f)}" for f in FIELDS[1:] if e.get(f) is not None)
    return f"{e['type']}/{e['weapon']} @ {where} {vals}".rstrip()


def level_summary(levels: dict[str, Counter]) -> dict[str, dict]:
    """Per gold level: event and place counts with the shares in the right admin1 and at the right place."""
    out = {}
    for level in [*LEVELS, *sorted(set(levels) - set(LEVELS))]:
        c = levels.get(level)
        if not c:
            continue
        out[level] = {"events": c["ev"], "events_admin1": _share(c, "ev_a1", "ev"),
                      "events_fine": _share(c, "ev_fine", "ev"), "places": c["pl"],
                      "places_admin1": _share(c, "pl_a1", "pl"), "places_fine": _share(c, "pl_fine", "pl")}
    return out


def _share(c: Counter, part: str, whole: str) -> float | None:
    return round(c[part] / c[whole], 3) if c[whole] else None


def _pct(x: float | None) -> str:
    return f"{x:>8.3f}" if x is not None else f"{'-':>8}"


def format_levels(rows: dict[str, dict]) -> list[str]:
    lines = ["\ngeocoding by gold level (events: same type in the right admin1 / also the right place; "
             "places: distinct per report):",
             f"  {'level':<14}{'events':>7}{'admin1':>8}{'place':>8}{'places':>8}{'admin1':>8}{'place':>8}"]
    for level, r in rows.items():
        lines.append(f"  {level:<14}{r['events']:>7}{_pct(r['events_admin1'])}{_pct(r['events_fine'])}"
                     f"{r['places']:>8}{_pct(r['places_admin1'])}{_pct(r['places_fine'])}")
    return lines


def format_summary(summary: dict, show_errors: bool = False) -> str:
    lines = [f"cases: {summary['cases']}"]
    for lang, metrics in summary["metrics"].items():
        lines.append(f"\n[{lang}]  {'metric':<13}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'pred':>6}{'gold':>6}{'acc':>7}")
        for metric, m in metrics.items():
            acc = f"{m['acc']:>7.3f}" if "acc" in m else ""
            lines.append(f"      {metric:<13}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}"
                         f"{m['tp']:>6}{m['pred']:>6}{m['gold']:>6}{acc}")
    if summary.get("geocoding_by_level"):
        lines.extend(format_levels(summary["geocoding_by_level"]))
    lines.append("\nevent types (gold -> predicted, paired on place only):")
    for row in summary["confusion"]:
        lines.append(f"  {row['gold']:<13} -> {row['pred']:<13} {row['n']}")
    if show_errors:
        lines.append(f"\nerrors ({len(summary['errors'])} reports):")
        for case in summary["errors"]:
            lines.append(f"- {case['id']} ({case['language']})")
            lines.extend(f"    {e}" for e in case["errors"])
    return "\n".join(lines)
