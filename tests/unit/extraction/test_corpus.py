"""The team's labelled corpus (`tests/corpus/*.jsonl`) is well-formed, and the evaluation module
runs on it. No quality thresholds here: `make eval` measures, it does not gate."""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from services.extraction import evaluation

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
LANGS = {"en", "ru", "uk"}
TYPES = {"interception", "attack", "impact", "debris_fall"}
WEAPONS = {"uav", "missile", "glide_bomb", "artillery", "unknown"}
LEVELS = {"admin1", "admin2", "city", "city_district", "street", "other"}
ISO = re.compile(r"^(RU|UA|BY)-[0-9A-Z]{2,3}$")
KEYS = {"id", "language", "published_at", "text", "events"}
EVENT_KEYS = {"type", "weapon", "count", "killed", "injured", "damage", "claimed_by", "location"}


def _cases() -> list[dict]:
    cases = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            case = json.loads(line)
            case["_file"] = f"{path.name}:{n}"
            cases.append(case)
    return cases


CASES = _cases()


def test_files_and_size():
    assert {p.stem for p in CORPUS.glob("*.jsonl")} == LANGS
    assert len(CASES) >= 150
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), [i for i, k in Counter(ids).items() if k > 1]


def test_coverage():
    events = [e for c in CASES for e in c["events"]]
    assert {c["language"] for c in CASES} == LANGS
    assert {e["type"] for e in events} == TYPES
    assert {e["weapon"] for e in events} == WEAPONS
    for lang in LANGS:
        assert sum(1 for c in CASES if c["language"] == lang and c["events"]) >= 30, lang
    assert sum(1 for c in CASES if c.get("notes", "").startswith("HARD NEGATIVE")) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_is_valid(case):
    where = case["_file"]
    assert KEYS <= set(case) <= KEYS | {"notes", "_file"}, where
    assert case["language"] in LANGS and case["text"].strip(), where
    assert case["id"].startswith(case["language"] + "-"), where
    if case["published_at"] is not None:
        assert datetime.fromisoformat(case["published_at"]).tzinfo is not None, where
    if case.get("notes", "").startswith("HARD NEGATIVE"):
        assert case["events"] == [], where
    for e in case["events"]:
        assert set(e) == EVENT_KEYS, where
        assert e["type"] in TYPES and e["weapon"] in WEAPONS, where
        for f in ("count", "killed", "injured"):
            assert e[f] is None or (isinstance(e[f], int) and not isinstance(e[f], bool) and e[f] >= 0), (where, f)
        assert e["damage"] in (True, False, None), where
        assert e["claimed_by"] is None or (isinstance(e["claimed_by"], str) and e["claimed_by"].strip()), where
        loc = e["location"]
        assert set(loc) == {"mention", "admin1_code", "level", "name"}, where
        assert loc["mention"] and loc["mention"] in case["text"], (where, loc["mention"])
        assert loc["level"] in LEVELS and loc["name"], where
        if loc["admin1_code"] is None:
            assert loc["level"] == "other", (where, "only sea areas have no admin1")
        else:
            assert ISO.match(loc["admin1_code"]), (where, loc["admin1_code"])
    keys = [(e["type"], e["weapon"], e["location"]["name"]) for e in case["events"]]
    assert len(keys) == len(set(keys)), (where, "one event per (type, weapon, place)")


def test_evaluation_smoke():
    """Three cases through the real pipeline give a well-formed summary."""
    cases = [c for c in CASES if c["id"] in {"en-002", "ru-003", "uk-neg-01"}]
    assert len(cases) == 3
    summary = evaluation.evaluate(cases, evaluation.Pipeline())
    assert summary["cases"] == {"en": 1, "ru": 1, "uk": 1, "all": 3}
    assert set(summary["metrics"]) == {"en", "ru", "uk", "all"}
    metrics = summary["metrics"]["all"]
    for name in ("event", "event@admin1", *evaluation.FIELDS, "admin1", "fine place"):
        m = metrics[name]
        assert 0.0 <= m["precision"] <= 1.0 and 0.0 <= m["recall"] <= 1.0 and 0.0 <= m["f1"] <= 1.0
        assert m["tp"] <= min(m["pred"], m["gold"]) or m["pred"] == 0
    assert metrics["event"]["gold"] == 4
    assert all({"gold", "pred", "n"} == set(row) for row in summary["confusion"])
    text = evaluation.format_summary(summary, show_errors=True)
    assert "[all]" in text and "event types" in text


def test_matching_rules():
    loc = {"name": "Buchanskyi Raion", "admin1_code": "UA-32", "precision": "admin2", "admin2": None}
    assert evaluation.place_matches({"name": "Bucha Raion", "admin1_code": "UA-32", "level": "admin2"}, loc)
    assert not evaluation.place_matches({"name": "Bucha Raion", "admin1_code": "UA-30", "level": "admin2"}, loc)
    assert evaluation.place_matches({"name": "Kyiv Oblast", "admin1_code": "UA-32", "level": "admin1"}, loc)
    crimea = {"name": "Crimea", "admin1_code": "RU-CR", "precision": "admin1"}
    assert evaluation.place_matches({"name": "Crimea", "admin1_code": "UA-43", "level": "admin1"}, crimea)
    assert evaluation.claims_agree("Governor Vyacheslav Gladkov", "Governor Gladkov")
    assert evaluation.claims_agree("Governor Alexander Bogomaz", "Governor Aleksandr Bogomaz")
    assert evaluation.claims_agree("Russian Ministry of Defense", "the Russian Ministry of Defence")
    assert not evaluation.claims_agree("Governor Vyacheslav Gladkov", "Governor Alexander Gusev")
