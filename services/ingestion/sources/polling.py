"""What the pollers of feeds and Telegram channels share: the backoff after consecutive errors and
the scheduler loop that polls each due source and sleeps until the next one is due (or the admin
API wakes it)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.backoff import Backoff

log = logging.getLogger(__name__)
IDLE_S = 30.0  # longest sleep: a source added by another process is seen within this


class Schedule(Protocol):
    async def due(self, now: datetime) -> list[dict[str, Any]]: ...
    async def next_due_at(self) -> datetime | None: ...


def backoff_s(interval_s: float, errors: int, cap_s: float, at_least_s: float = 0.0) -> float:
    """The wait after `errors` consecutive errors: the shared backoff from the interval (doubled per
    error after the first), at least `at_least_s` (what the source asked for, e.g. Retry-After), at
    most `cap_s`."""
    return min(cap_s, max(at_least_s, Backoff(interval_s, cap_s).delay(errors)))


async def run_schedule(schedule: Schedule, poll: Callable[[dict[str, Any]], Awaitable[object]],
                       wake: asyncio.Event, what: str) -> None:
    """Poll due sources forever, one at a time, oldest due first. A failing round (the table
    briefly unavailable) is logged and tried again; `poll` itself records each source's errors."""
    while True:
        try:
            for source in await schedule.due(datetime.now(UTC)):
                await poll(source)
            nxt = await schedule.next_due_at()
        except Exception as err:  # noqa: BLE001 - try again next round
            log.warning(f"{what} scheduler round failed", extra={"error": repr(err)})
            nxt = None
        wait = IDLE_S if nxt is None else (nxt - datetime.now(UTC)).total_seconds()
        wake.clear()
        try:
            await asyncio.wait_for(wake.wait(), timeout=min(max(wait, 0.05), IDLE_S))
        except TimeoutError:
            pass
