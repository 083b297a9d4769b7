"""The grouping scorer on hand-made reports: which events it scores, what the grouping sees, and the
figures for groupings whose B-cubed values are known."""
from __future__ import annotations

from pathlib import Path

import pytest

from dronewatch import incident_eval as ev
from dronewatch.incident_eval import IncidentGold, as_articles, found_events, score_grouping
from tests.unit.incidents.standin import group_by_key

A1 = {"Kherson": "UA-65", "Zaporizhzhia": "UA-23", "Kursk": "RU-KRS"}


def gold_event(type_: str, place: str) -> dict:
    return {"type": type_, "weapon": "uav", "location": {"name": place}}


def pred_event(report: str, type_: str, place: str, weapon: str = "uav") -> dict:
    return {"id": f"{report}:{type_}:{place}", "article_id": report, "type": type_, "weapon": weapon,
            "location": {"name": place, "admin1_code": A1[place], "precision": "city"}}


def match(gold: list[dict], pred: list[dict]) -> list[tuple[int, int]]:
    """One-to-one by type and place name, in order (what evaluate.py's matching does, simplified)."""
    pairs, used = [], set()
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if pi not in used and g["type"] == p["type"] and g["location"]["name"] == p["location"]["name"]:
                pairs.append((gi, pi))
                used.add(pi)
                break
    return pairs


# Three reports: r1 and r2 tell of one Kherson strike (published the same day), r3 of a Zaporizhzhia
# strike a week later; r2 also mentions a Kursk interception that extraction misses.
REPORTS = [
    {"id": "r1", "language": "en", "published": "2024-08-02", "events": [gold_event("impact", "Kherson")]},
    {"id": "r2", "language": "uk", "published": "2024-08-02",
     "events": [gold_event("impact", "Kherson"), gold_event("interception", "Kursk")]},
    {"id": "r3", "language": "ru", "published": "2024-08-09", "events": [gold_event("impact", "Zaporizhzhia")]},
]
PREDICTIONS = {
    "r1": [pred_event("r1", "impact", "Kherson")],
    "r2": [pred_event("r2", "impact", "Kherson"), pred_event("r2", "impact", "Zaporizhzhia")],  # 2nd: spurious
    "r3": [pred_event("r3", "impact", "Zaporizhzhia")],
}
GOLD = IncidentGold({"kherson": ["r1#0", "r2#0"]})


def test_only_gold_events_that_extraction_found_are_scored():
    found = found_events(REPORTS, PREDICTIONS, match)
    assert found == {"r1:impact:Kherson": "r1#0", "r2:impact:Kherson": "r2#0", "r3:impact:Zaporizhzhia": "r3#0"}
    s = score_grouping(REPORTS, PREDICTIONS, GOLD, group_by_key, match)
    assert (s.gold_events, s.found, s.score.items) == (4, 3, 3)  # the Kursk event was not found


def test_the_grouping_sees_every_predicted_event_as_the_geocoded_payload():
    seen = []

    def spy(articles):
        seen.extend(articles)
        return []

    score_grouping(REPORTS, PREDICTIONS, GOLD, spy, match)
    assert [a.article_id for a in seen] == ["r1", "r2", "r3"]
    assert [len(a.events) for a in seen] == [1, 2, 1]  # the spurious event too
    assert seen[0].published_at.isoformat() == "2024-08-02T12:00:00+00:00"
    assert seen[1].events[0].location.admin1_code == "UA-65"


def test_a_right_grouping_scores_one():
    s = score_grouping(REPORTS, PREDICTIONS, GOLD, group_by_key, match)
    assert (s.score.precision, s.score.recall) == (1.0, 1.0)
    assert (s.multi.precision, s.multi.recall, s.multi.items) == (1.0, 1.0, 2)
    assert s.errors == []


def test_a_grouping_that_keeps_every_event_apart_loses_recall():
    s = score_grouping(REPORTS, PREDICTIONS, GOLD, lambda arts: [], match)
    # r1#0 and r2#0 each find half of their gold incident, r3#0 all of its own: (1/2 + 1/2 + 1) / 3
    assert s.score.precision == 1.0
    assert s.score.recall == pytest.approx(2 / 3)
    assert s.errors == ["split   kherson: r1#0, r2#0"]
    assert s.apart == s.score  # which is the floor every run prints beside its figures


def test_a_grouping_that_joins_everything_loses_precision():
    def everything(articles):
        return [{e.id for a in articles for e in a.events}]

    s = score_grouping(REPORTS, PREDICTIONS, GOLD, everything, match)
    # r1#0, r2#0: 2 of the 3 found events in their cluster are theirs; r3#0: 1 of 3 -> (2/3 + 2/3 + 1/3) / 3
    assert s.score.precision == pytest.approx(5 / 9)
    assert s.score.recall == 1.0
    assert s.errors == ["joined  r1#0, r2#0, r3#0"]


def test_containing_area_claims_that_support_several_incidents_are_left_out():
    gold = IncidentGold({"kherson": ["r1#0", "r2#0"]}, unscored=frozenset({"r3#0"}))

    def everything(articles):
        return [{e.id for a in articles for e in a.events}]

    s = score_grouping(REPORTS, PREDICTIONS, gold, everything, match)
    assert (s.score.items, s.score.precision) == (2, 1.0)


def test_reports_without_a_date_have_no_published_time():
    undated = [{"id": "r9", "language": "ru", "published": None, "events": []}]
    (article,) = as_articles(undated, {"r9": []})
    assert article.published_at is None and article.events == []


def test_an_absent_grouping_function_is_named_and_the_run_fails(capsys):
    with pytest.raises(ImportError, match="no_such_module.grouping:group_events is absent"):
        ev.resolve_grouping("no_such_module.grouping:group_events")
    with pytest.raises(ImportError, match="has no nothing_here"):
        ev.resolve_grouping("tests.unit.incidents.standin:nothing_here")
    assert ev.main(["--grouping", "no_such_module.grouping:group_events"]) == 3
    assert "cannot score" in capsys.readouterr().err


def test_the_stand_in_resolves_like_the_real_function():
    assert ev.resolve_grouping("tests.unit.incidents.standin:group_by_key") is group_by_key


def test_without_a_devset_the_run_fails(tmp_path: Path):
    assert ev.main(["--grouping", "tests.unit.incidents.standin:group_by_key",
                    "--devset", str(tmp_path / "none")]) == 2
