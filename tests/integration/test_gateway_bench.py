"""The gateway benchmark (bench/gateway.py) still runs end to end at a tiny size: it fills a store
through the store's tables, starts the gateway as a process and gets answers to every kind of
query it sends. Its figures are not checked here (speed is for `make bench-gateway`)."""
from __future__ import annotations

import pytest

from bench.gateway import make_rows, run_one
from shared.messages import IncidentEvent

pytestmark = pytest.mark.integration


def test_generated_events_are_valid_public_events_spread_over_regions_and_types():
    _, rows = make_rows(300)
    assert len(rows) == 300
    for row in rows[::37]:
        IncidentEvent.model_validate(row["body"])
    assert len({r["admin1_code"] for r in rows}) > 10 and len({r["type"] for r in rows}) == 4


def test_the_benchmark_runs_every_query_kind_without_errors():
    result = run_one("sqlite", 300, rate=20, duration=1.5, concurrency=2)
    fixed = result["fixed_rate"]
    assert fixed["errors"] == 0, fixed["error_sample"]
    assert fixed["overall"]["n"] == 30 and len(fixed["by_kind"]) >= 5
    assert result["closed_loop"]["requests"] > 0 and result["closed_loop"]["errors"] == 0


def test_the_cpu_mode_measures_every_query_kind_in_process():
    result = run_one("sqlite", 300, rate=20, duration=1.5, concurrency=2, cpu=3)
    assert sorted(result["cpu_ms"]) == ["bbox", "geojson", "in_outline", "near", "newest_in_region", "region_since",
                                        "stats", "type_country"]
    assert all(ms > 0 for ms in result["cpu_ms"].values())
