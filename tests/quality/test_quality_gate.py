"""The quality gate: extraction and geocoding in-process, as the services run them (the decision
model included), over the development set (when `../shared/data/devset` is beside the checkout, as
in CI) and over our own corpus. A figure more than TOLERANCE below `baseline.json` fails the
suite; a figure more than TOLERANCE above it fails too, until the change that improved it updates
the file (`python -m tests.quality.baseline` rewrites it from the current code)."""
from __future__ import annotations

import json

import pytest

from tests.quality.baseline import BASELINE, TOLERANCE, measure


@pytest.fixture(scope="module")
def figures() -> dict[str, dict[str, float]]:
    return measure()


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
