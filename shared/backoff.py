"""The one exponential backoff of dronewatch's retry loops: `initial_s` after the first failure,
doubled after each further one, never more than `max_s`.

Retrying one call (the runner's transient faults, the Nominatim client's requests) is tenacity's
job: those loops pass `Backoff.wait()` as its wait strategy. Loops that count their own failures,
because a failure ends something long-lived or the count is kept elsewhere (a feed's consecutive
errors in its table, ingestion restarting its receipts consumer, the gateway's live feed
reconnecting), ask `Backoff.delay(failures)`. Both read the same schedule.
"""
from __future__ import annotations

from dataclasses import dataclass

from tenacity import RetryCallState
from tenacity.wait import wait_base


@dataclass(frozen=True)
class Backoff:
    initial_s: float
    max_s: float

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` consecutive failures (1 or fewer: `initial_s`)."""
        return float(min(self.max_s, self.initial_s * 2 ** max(0, failures - 1)))

    def wait(self) -> wait_base:
        """This schedule as a tenacity wait strategy (attempt n failed: wait `delay(n)`)."""
        return _Wait(self)


class _Wait(wait_base):
    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.backoff.delay(retry_state.attempt_number)
