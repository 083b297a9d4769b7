"""The quality gate: extraction and geocoding in-process, as the services run them (the decision
model included), over the development set (when `../shared/data/devset` is beside the checkout, as
in CI) and over our own corpus. A figure more than TOLERANCE below `baseline.json` fails the
suite; a figure more than TOLERANCE above it fails too, until the change that improved it updates
the file (`python -m tests.quality.baseline` rewrites it from the current code)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.extraction import devset
from services.extraction.evaluation import DEFAULT_CORPUS, Pipeline, load_corpus
from shared.places.events import build_events
from tests.quality.baseline import BASELINE, TOLERANCE, measure

ROOT = Path(__file__).resolve().parents[2]
# what a location's reason says when the report's geography admits it, or when it abstains
EVIDENCE = ("inside ", " km from ", "named without its region", "the only town of that name", "placed at the region",
            "using the enclosing")


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


@pytest.fixture(scope="module")
def figures(pipeline) -> dict[str, dict[str, float]]:
    return measure(pipeline)


def _cases() -> list[dict]:
    cases = load_corpus(ROOT / DEFAULT_CORPUS)
    if devset.DEFAULT_DEVSET.is_dir():
        cases += [devset.as_case(r) for r in devset.load_reports(devset.DEFAULT_DEVSET)]
    return cases


def test_no_event_lies_outside_the_regions_its_report_names_without_evidence(pipeline):
    outside = []
    for case in _cases():
        result = pipeline.extractor.extract(article_id=case["id"], text=case["text"], title=case.get("title"),
                                            language=case.get("language"), published_at=None)
        places, geocoder = list(result.places), pipeline.geocoder
        geography = geocoder.report_geography(places, language=result.language)
        for event in build_events(result, geocoder.resolve(places, language=result.language)):
            loc = event.location
            if geography and loc.admin1_code not in geography.regions \
                    and not any(e in (loc.reason or "") for e in EVIDENCE):
                outside.append(f"{case['id']}: {loc.name} ({loc.admin1_code}): {loc.reason}")
    assert not outside, outside


def _pairs(figures: dict) -> list[tuple[str, str, float, float]]:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))["figures"]
    out = []
    for group, values in baseline.items():
        for name, expected in values.items():
            out.append((group, name, expected, figures.get(group, {}).get(name)))
    return out


def test_no_figure_drops_below_the_baseline(figures):
    drops = [f"{g}.{n}: {now} < {was} - {TOLERANCE}" for g, n, was, now in _pairs(figures)
             if now is not None and now < was - TOLERANCE]
    assert not drops, "quality dropped: " + "; ".join(drops)


def test_the_baseline_is_current(figures):
    """(Without the development set beside the checkout only the corpus figures are compared.)"""
    stale = [f"{g}.{n}: {now} > {was}" for g, n, was, now in _pairs(figures)
             if now is not None and now > was + TOLERANCE]
    assert not stale, ("quality improved beyond the baseline; record it: python -m tests.quality.baseline ("
                       + "; ".join(stale) + ")")
