"""The dead-letter limit: a run of dead letters or a burst within the window stops the service;
dead letters spread out, or broken up by good records, do not."""
from __future__ import annotations

from shared.kafka.dlq import DlqLimit


def test_a_run_of_consecutive_dead_letters_trips_the_limit():
    limit = DlqLimit(max_consecutive=3, max_per_window=100, window_s=60)
    assert [limit.record() for _ in range(3)] == [None, None, None]
    assert limit.record() == "4 consecutive dead letters"


def test_good_records_break_the_run_but_not_the_burst_count():
    limit = DlqLimit(max_consecutive=1, max_per_window=4, window_s=60)
    results = []
    for _ in range(5):
        results.append(limit.record())
        limit.ok()
    assert results == [None, None, None, None, "5 dead letters within 60s"]


def test_dead_letters_older_than_the_window_no_longer_count():
    limit = DlqLimit(max_consecutive=100, max_per_window=2, window_s=0.0)
    assert [limit.record() for _ in range(10)] == [None] * 10
