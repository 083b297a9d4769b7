from __future__ import annotations

import pytest

from tests.unit.incidents.pipeline import Pipeline


@pytest.fixture
def pipeline() -> Pipeline:
    """The handlers chained on the in-memory state (tests/integration runs the same tests on SQL)."""
    return Pipeline()
