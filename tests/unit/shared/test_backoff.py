"""The one backoff schedule (shared/backoff.py): doubling from the first delay up to the cap, the
same whether a loop counts its own failures or tenacity counts the attempts."""
from __future__ import annotations

import pytest
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from shared.backoff import Backoff


def test_the_delay_doubles_per_failure_up_to_the_cap():
    backoff = Backoff(initial_s=2.0, max_s=30.0)
    assert [backoff.delay(n) for n in range(0, 7)] == [2.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert Backoff(initial_s=100.0, max_s=30.0).delay(1) == 30.0  # the cap wins even at first


def test_tenacity_waits_the_same_schedule_between_attempts():
    slept: list[float] = []
    retrying = Retrying(wait=Backoff(0.5, 3.0).wait(), stop=stop_after_attempt(5), sleep=slept.append,
                        retry=retry_if_exception_type(ValueError), reraise=True)
    with pytest.raises(ValueError):
        retrying(lambda: int("not a number"))
    assert slept == [0.5, 1.0, 2.0, 3.0]
