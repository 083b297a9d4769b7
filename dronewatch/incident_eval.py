"""Score incident grouping on the development set: B-cubed precision and recall over the gold events
that extraction found.

    python -m dronewatch.incident_eval [--devset ../shared/data/devset] [--gold eval/devset-incidents.yaml]
                                            [--grouping services.incidents.grouping:group_events]
                                            [--show-errors] [--json OUT]

1. Extraction + geocoding run in-process over every devset report, read as the stack reads what
   `evaluate.py` posts (`services.extraction.devset`): its text and title, published at noon UTC of its
   `published` date, or with no published time when the file has none.
2. Each report's predicted events are paired one-to-one with its gold events by the devset scorer's own
   matching (`evaluate.py`'s `match_events` with the type: the pairs that event F1 counts as correct).
   A gold event so paired is *found*; the others cannot be grouped, and are not scored here.
3. The grouping function gets every report's predicted events, found or not, as `GeocodedArticle`s
   (the payload of `events.geocoded.v1`) and returns the incidents as sets of event ids.
4. B-cubed over the found gold events: an event's predicted incident is the found gold events of its
   predicted cluster; its gold incident is its group in the incident gold file (docs/quality.md,
   "Incident gold"), or itself. Events listed under `supports_several` are left out.

It exits 3 when the grouping function cannot be imported, 2 without a devset; otherwise 0, whatever the
figures (they are printed beside the target, 0.90 each).
"""
from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from services.incidents.bcubed import BCubed, bcubed
from shared.messages.events import GeocodedArticle, IncidentEvent

GOLD_FILE = Path(__file__).resolve().parents[1] / "eval" / "devset-incidents.yaml"
DEFAULT_GROUPING = "services.incidents.grouping:group_events"
TARGET = 0.90
EVENT_KEY = re.compile(r"^(?P<report>[^#\s]+)#(?P<index>\d+)$")
Grouping = Callable[[Sequence[GeocodedArticle]], list[set[str]]]
Match = Callable[[list[dict[str, Any]], list[dict[str, Any]]], list[tuple[int, int]]]


class GoldError(ValueError):
    """The incident gold file is malformed or names events the devset does not hold."""


@dataclass(frozen=True)
class IncidentGold:
    groups: dict[str, list[str]]  # group id -> event keys ("<report id>#<gold event index>")
    unscored: frozenset[str] = frozenset()  # supports_several: containing-area claims left out
    related: list[list[str]] = field(default_factory=list)  # report ids, not scored

    def clusters(self) -> list[set[str]]:
        return [set(events) for events in self.groups.values()]


def event_key(report_id: str, index: int) -> str:
    return f"{report_id}#{index}"


def load_gold(path: Path = GOLD_FILE, reports: Sequence[dict[str, Any]] | None = None) -> IncidentGold:
    """The incident gold file, checked: each event named once, in a group of two or more events from
    as many different reports; with `reports` (the devset), every report and event it names exists."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    groups: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    for i, group in enumerate(data.get("groups") or []):
        gid = str(group.get("id") or f"#{i}")
        events = [str(e) for e in group.get("events") or []]
        if gid in groups:
            raise GoldError(f"group {gid}: the id is used twice")
        if len(events) < 2:
            raise GoldError(f"group {gid}: fewer than two events (an event not listed is an incident of its own)")
        owners = [_parse(e, gid)[0] for e in events]
        if len(set(owners)) < len(owners):
            raise GoldError(f"group {gid}: two events of one report (a report never merges with itself)")
        for e in events:
            if e in seen:
                raise GoldError(f"event {e} is in groups {seen[e]} and {gid}")
            seen[e] = gid
        groups[gid] = events
    unscored = frozenset(str(e) for e in data.get("supports_several") or [])
    for e in unscored:
        _parse(e, "supports_several")
    related = [[str(r) for r in rel.get("reports") or []] for rel in data.get("related") or []]
    gold = IncidentGold(groups, unscored, related)
    if reports is not None:
        _check_against(gold, reports)
    return gold


def _parse(key: str, where: str) -> tuple[str, int]:
    m = EVENT_KEY.match(key)
    if not m:
        raise GoldError(f"{where}: {key!r} is not '<report id>#<event index>'")
    return m["report"], int(m["index"])


def _check_against(gold: IncidentGold, reports: Sequence[dict[str, Any]]) -> None:
    sizes = {r["id"]: len(r.get("events") or []) for r in reports}
    keys = [e for events in gold.groups.values() for e in events] + sorted(gold.unscored)
    for key in keys:
        report, index = _parse(key, "gold")
        if report not in sizes:
            raise GoldError(f"{key}: no report {report} in the devset")
        if index >= sizes[report]:
            raise GoldError(f"{key}: report {report} has {sizes[report]} gold events")
    for rel in gold.related:
        for report in rel:
            if report not in sizes:
                raise GoldError(f"related: no report {report} in the devset")


def resolve_grouping(spec: str = DEFAULT_GROUPING) -> Grouping:
    """`module:function` imported; ImportError (with the reason) when it is not there."""
    module_name, _, name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ImportError(f"the grouping function {spec} is absent: {exc}") from exc
    fn = getattr(module, name or "group_events", None)
    if not callable(fn):
        raise ImportError(f"the grouping function {spec} is absent: {module_name} has no {name or 'group_events'}")
    return fn  # type: ignore[no-any-return]


def as_articles(reports: Sequence[dict[str, Any]], predictions: dict[str, list[dict[str, Any]]],
                cases: dict[str, dict[str, Any]] | None = None) -> list[GeocodedArticle]:
    """Each report's predicted public events as the `events.geocoded.v1` payload."""
    out = []
    for r in reports:
        case = (cases or {}).get(r["id"], {})
        published = case.get("published_at") or (f"{r['published']}T12:00:00+00:00" if r.get("published") else None)
        out.append(GeocodedArticle(
            article_id=r["id"], language=r.get("language") or "en",
            published_at=datetime.fromisoformat(published) if published else None,
            events=[IncidentEvent.model_validate(e) for e in predictions.get(r["id"], [])]))
    return out


def found_events(reports: Sequence[dict[str, Any]], predictions: dict[str, list[dict[str, Any]]],
                 match: Match) -> dict[str, str]:
    """Predicted event id -> the gold event it found (its key), one-to-one within each report."""
    out: dict[str, str] = {}
    for r in reports:
        pred = predictions.get(r["id"], [])
        for gi, pi in match(r.get("events") or [], pred):
            out[pred[pi]["id"]] = event_key(r["id"], gi)
    return out


@dataclass
class GroupingScore:
    score: BCubed  # over the found gold events (less the unscored)
    multi: BCubed  # the same, over the found events of gold incidents with more than one event
    apart: BCubed  # what keeping every event apart scores over the same events (the floor to beat)
    gold_events: int
    found: int
    clusters: int  # predicted incidents
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def fig(b: BCubed) -> dict[str, Any]:
            return {"precision": round(b.precision, 3), "recall": round(b.recall, 3), "f1": round(b.f1, 3),
                    "items": b.items}

        return {"bcubed": fig(self.score), "bcubed_multi_report": fig(self.multi),
                "bcubed_every_event_apart": fig(self.apart), "gold_events": self.gold_events,
                "found_gold_events": self.found, "predicted_incidents": self.clusters, "errors": self.errors,
                "target": TARGET}


def score_grouping(reports: Sequence[dict[str, Any]], predictions: dict[str, list[dict[str, Any]]], gold: IncidentGold,
                   grouping: Grouping, match: Match, cases: dict[str, dict[str, Any]] | None = None) -> GroupingScore:
    found = found_events(reports, predictions, match)
    clusters = grouping(as_articles(reports, predictions, cases))
    predicted = [{found[e] for e in cluster if e in found} for cluster in clusters]
    items = set(found.values()) - gold.unscored
    multi = items & {e for events in gold.groups.values() for e in events}
    return GroupingScore(
        score=bcubed(predicted, gold.clusters(), items), multi=bcubed(predicted, gold.clusters(), multi),
        apart=bcubed([], gold.clusters(), items),
        gold_events=sum(len(r.get("events") or []) for r in reports), found=len(found.values()),
        clusters=len(clusters), errors=_errors(predicted, gold, items))


def _errors(predicted: list[set[str]], gold: IncidentGold, items: set[str]) -> list[str]:
    """Gold incidents split across predicted ones, and predicted incidents that join gold ones."""
    out = []
    where = {e: k for k, cluster in enumerate(predicted) for e in cluster}
    for gid, events in gold.groups.items():
        parts = {where.get(e, e) for e in events if e in items}
        if len(parts) > 1:
            out.append(f"split   {gid}: {', '.join(e for e in events if e in items)}")
    owner = {e: gid for gid, events in gold.groups.items() for e in events}
    for cluster in predicted:
        truth = {owner.get(e, e) for e in cluster if e in items}
        if len(truth) > 1:
            out.append(f"joined  {', '.join(sorted(e for e in cluster if e in items))}")
    return out


def format_score(s: GroupingScore, spec: str, show_errors: bool = False) -> str:
    def verdict(v: float) -> str:
        return "meets" if v >= TARGET else "BELOW"

    lines = [
        f"incident grouping ({spec}) on the devset: {s.found} of {s.gold_events} gold events found by extraction, "
        f"{s.clusters} predicted incidents",
        f"  B-cubed over the {s.score.items} found gold events: precision {s.score.precision:.3f} "
        f"({verdict(s.score.precision)} {TARGET:.2f}), recall {s.score.recall:.3f} "
        f"({verdict(s.score.recall)} {TARGET:.2f}), F1 {s.score.f1:.3f}",
        f"  the {s.multi.items} of them in multi-report gold incidents: precision {s.multi.precision:.3f}, "
        f"recall {s.multi.recall:.3f}",
        f"  (keeping every event apart would score precision {s.apart.precision:.3f}, recall {s.apart.recall:.3f}: "
        f"most gold incidents have one report)",
    ]
    if show_errors:
        lines += [f"  {e}" for e in s.errors] or ["  no split or joined incident"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from services.extraction import devset as devset_eval

    ap = argparse.ArgumentParser(prog="python -m dronewatch.incident_eval", description=__doc__.split("\n")[0])
    ap.add_argument("--devset", type=Path, default=devset_eval.DEFAULT_DEVSET)
    ap.add_argument("--gold", type=Path, default=GOLD_FILE, help="the incident gold file")
    ap.add_argument("--grouping", default=DEFAULT_GROUPING, help="module:function to score")
    ap.add_argument("--show-errors", action="store_true", help="list split and joined incidents")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--index", type=Path, help="gazetteer index file (default: built from GAZETTEER_*)")
    args = ap.parse_args(argv)
    try:
        grouping = resolve_grouping(args.grouping)
    except ImportError as exc:
        print(f"incident grouping: cannot score, {exc}", file=sys.stderr)
        return 3
    if not args.devset.is_dir():
        print(f"incident grouping: no development set at {args.devset}", file=sys.stderr)
        return 2
    from services.extraction.evaluation import Pipeline

    reports = devset_eval.load_reports(args.devset)
    gold = load_gold(args.gold, reports)
    scorer = devset_eval.load_scorer(args.devset)
    pipeline = Pipeline(args.index)
    cases = {r["id"]: devset_eval.as_case(r) for r in reports}
    predictions = {rid: pipeline(case) for rid, case in cases.items()}
    result = score_grouping(reports, predictions, gold, grouping,
                            lambda g, p: scorer.match_events(g, p, use_type=True), cases)
    print(format_score(result, args.grouping, args.show_errors))
    if args.json:
        args.json.write_text(json.dumps(result.as_dict(), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
