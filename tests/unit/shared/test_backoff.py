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


async def test_the_runner_retries_a_transient_fault_on_the_shared_schedule_and_gives_up_in_time():
    """Runner._retrying, no broker: a handler failing transiently twice is called a third time and
    its output returned, each failure counted; one that keeps failing is given up on once the next
    attempt would start after transient_retry_max_s, with the TransientError raised."""
    import asyncio
    import time

    from shared.config import BaseServiceSettings
    from shared.kafka.errors import TransientError
    from shared.kafka.runner import Runner

    settings = BaseServiceSettings(_env_file=None, transient_retry_initial_s=0.01, transient_retry_max_s=0.2)
    runner = Runner(settings, "storage", [])
    calls: list[float] = []

    async def flaky() -> list[str]:
        calls.append(time.monotonic())
        if len(calls) <= 2:
            raise TransientError("database briefly down")
        return ["stored"]

    assert await runner._retrying(flaky, dict, asyncio.Event()) == ["stored"]
    assert len(calls) == 3 and calls[2] - calls[1] >= 0.02  # waited 0.01 s, then 0.02 s
    assert runner.metrics.total(runner.metrics.errors, kind="transient") == 2

    async def down() -> list[str]:
        raise TransientError("database down")

    with pytest.raises(TransientError):
        await runner._retrying(down, dict, asyncio.Event())
    assert runner.metrics.total(runner.metrics.errors, kind="transient") >= 2 + 2  # retried, then gave up
