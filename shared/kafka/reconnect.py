"""Keeping a long-lived reader of a topic connected: `connect_with_backoff` retries connecting
(tenacity, on the shared schedule of shared/backoff.py) until it succeeds, and an `Outage` logs
each outage once: at WARNING with its reason when it starts, at DEBUG on every further failure,
and at INFO with its length when it ends. The reader itself (the gateway's live feed) follows
the topic until something fails, reports the failure to the Outage and connects again; the
schedule starts over with each new connection."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from shared.backoff import Backoff

T = TypeVar("T")


@dataclass
class Outage:
    """`name` reads `source`: "live feed" and "its topics" log "live feed cannot read its topics"."""

    log: logging.Logger
    name: str
    source: str
    extra: dict[str, Any] = field(default_factory=dict)
    since: float | None = None

    def failed(self, err: BaseException | None) -> None:
        if self.since is None:
            self.since = time.monotonic()
            self.log.warning(f"{self.name} cannot read {self.source}; retrying with back-off until it can",
                             extra={**self.extra, "error": repr(err)})
        else:
            self.log.debug(f"{self.name} still cannot read {self.source}", extra={**self.extra, "error": repr(err)})

    def ended(self) -> None:
        if self.since is not None:
            self.log.info(f"{self.name} reconnected",
                          extra={**self.extra, "outage_s": round(time.monotonic() - self.since, 1)})
            self.since = None


async def connect_with_backoff(connect: Callable[[], Awaitable[T]], *, backoff: Backoff, outage: Outage) -> T:
    """`await connect()` until it returns, waiting `backoff.delay(n)` after the n-th failure in a
    row; every failure goes to `outage`, and its end too. Cancellation is not retried."""

    def before_sleep(state: RetryCallState) -> None:
        outage.failed(state.outcome.exception() if state.outcome else None)

    async for attempt in AsyncRetrying(wait=backoff.wait(), retry=retry_if_exception_type(Exception),
                                       before_sleep=before_sleep, reraise=True):
        with attempt:
            result = await connect()
    outage.ended()
    return result
