"""The incident gold file (eval/devset-incidents.yaml): it loads, it names only events the devset holds,
its groups follow the annotation rules, and the loader rejects malformed files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from dronewatch.incident_eval import GOLD_FILE, GoldError, load_gold

DEVSET = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "devset"


@pytest.fixture(scope="module")
def devset() -> dict[str, dict]:
    if not DEVSET.is_dir():
        pytest.skip(f"no development set at {DEVSET}")
    return {r["id"]: r for r in (json.loads(f.read_text(encoding="utf-8")) for f in DEVSET.glob("*.json"))}


def test_the_gold_file_loads_and_every_event_it_names_is_in_the_devset(devset):
    gold = load_gold(GOLD_FILE, list(devset.values()))
    assert len(gold.groups) >= 2
    # the two incidents the issue names are there, each across reports
    kherson = [g for g in gold.groups.values() if "menafn-kherson-20240802#0" in g]
    zaporizhzhia = [g for g in gold.groups.values() if "up-zaporizhzhia-20250909#0" in g]
    assert kherson == [["gordonua-uk-kherson-20240802#0", "menafn-kherson-20240802#0"]]
    assert zaporizhzhia == [["glavnoe-uk-zaporizhzhia-20250909#0", "up-zaporizhzhia-20250909#0"]]


def _event(devset: dict, key: str) -> dict:
    report, index = key.split("#")
    return devset[report]["events"][int(index)]


def test_every_group_agrees_on_type_weapon_and_admin1_and_holds_each_report_once(devset):
    gold = load_gold(GOLD_FILE, list(devset.values()))
    for gid, events in gold.groups.items():
        reports = [e.split("#")[0] for e in events]
        assert len(set(reports)) == len(reports), gid
        golds = [_event(devset, e) for e in events]
        assert len({g["type"] for g in golds}) == 1, gid
        assert len({g["weapon"] for g in golds} - {"unknown"}) <= 1, gid
        assert len({g["location"]["admin1"] for g in golds}) == 1, gid


def test_reports_within_a_group_are_not_dated_apart(devset):
    gold = load_gold(GOLD_FILE, list(devset.values()))
    from datetime import date

    for gid, events in gold.groups.items():
        days = {date.fromisoformat(d) for d in (devset[e.split("#")[0]].get("published") for e in events) if d}
        assert not days or (max(days) - min(days)).days <= 1, gid


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gold.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ("groups: [{id: g, events: ['a#0', 'a#1']}]", "two events of one report"),
    ("groups: [{id: g, events: ['a#0']}]", "fewer than two events"),
    ("groups: [{id: g, events: ['a#0', 'b#0']}, {id: h, events: ['a#0', 'c#0']}]", "is in groups g and h"),
    ("groups: [{id: g, events: ['a#0', 'b#0']}, {id: g, events: ['c#0', 'd#0']}]", "used twice"),
    ("groups: [{id: g, events: ['a', 'b#0']}]", "is not '<report id>#<event index>'"),
])
def test_malformed_gold_files_are_rejected_with_the_reason(tmp_path, text, message):
    with pytest.raises(GoldError, match=message):
        load_gold(_write(tmp_path, text))


def test_events_the_devset_does_not_hold_are_rejected(tmp_path):
    reports = [{"id": "a", "events": [{}]}, {"id": "b", "events": [{}, {}]}]
    assert load_gold(_write(tmp_path, "groups: [{id: g, events: ['a#0', 'b#1']}]"), reports).groups
    with pytest.raises(GoldError, match="b#2: report b has 2 gold events"):
        load_gold(_write(tmp_path, "groups: [{id: g, events: ['a#0', 'b#2']}]"), reports)
    with pytest.raises(GoldError, match="no report c"):
        load_gold(_write(tmp_path, "groups: [{id: g, events: ['a#0', 'c#0']}]"), reports)
    with pytest.raises(GoldError, match="related: no report z"):
        load_gold(_write(tmp_path, "groups: []\nrelated: [{reports: [a, z]}]"), reports)
