"""Metrics of GET /v1/stream, in the gateway's registry (shared/metrics.py): how many clients are
connected now and how many events they were sent. Built in `create_app`, never at import time."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator

from fastapi.sse import ServerSentEvent
from prometheus_client import Counter, Gauge

from shared.metrics import ServiceMetrics


class StreamMetrics:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.service = metrics.service
        self.clients = Gauge("dronewatch_stream_clients", "Clients connected to GET /v1/stream", ["service"],
                             registry=metrics.registry)
        self.events_sent = Counter("dronewatch_stream_events_sent",
                                   "Events sent to stream clients (each client's copy counts)", ["service"],
                                   registry=metrics.registry)

    async def counted(self, messages: AsyncGenerator[ServerSentEvent]) -> AsyncIterator[ServerSentEvent]:
        """`messages` as they are, counting this client as connected until they end or it leaves,
        and the events of each `events` message."""
        clients, sent = self.clients.labels(self.service), self.events_sent.labels(self.service)
        clients.inc()
        try:
            async with contextlib.aclosing(messages):
                async for message in messages:
                    if message.event == "events" and isinstance(message.data, dict):
                        sent.inc(len(message.data.get("events") or ()))
                    yield message
        finally:
            clients.dec()
