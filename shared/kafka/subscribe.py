"""`dronewatch subscribe`: follow the public event topic and print one JSON line per event that
passes the filters (with `incidents=True`, the public incident topic: one line per incident state,
the incident's whole new state as `incidents.v1` carries it, filtered the same way). Works against
Apache Kafka and against the local broker (Debian's kcat cannot talk to the latter). Without
--group it reads every partition on its own (nothing is committed); with --group it joins that
consumer group and commits what it printed, so a restart resumes."""
from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.config import BaseServiceSettings
from shared.kafka.clients import connection_options, topic_name
from shared.kafka.errors import RejectMessage
from shared.kafka.serde import decode
from shared.topics import EVENTS_GEOCODED, INCIDENTS, Topic


@dataclass(frozen=True)
class EventFilter:
    admin1: frozenset[str] = field(default_factory=frozenset)
    country: frozenset[str] = field(default_factory=frozenset)
    types: frozenset[str] = field(default_factory=frozenset)
    weapons: frozenset[str] = field(default_factory=frozenset)

    def accepts(self, event: dict[str, Any]) -> bool:
        loc = event.get("location") or {}
        return ((not self.admin1 or (loc.get("admin1_code") or "") in self.admin1)
                and (not self.country or (loc.get("country_code") or "") in self.country)
                and (not self.types or event.get("type") in self.types)
                and (not self.weapons or event.get("weapon") in self.weapons))


def events_of(value: bytes | None) -> Iterable[dict[str, Any]]:
    """The public events in one record of the event topic (none if it is not a valid message)."""
    try:
        message = decode(EVENTS_GEOCODED, value)
    except RejectMessage:
        return []
    return [e.model_dump(mode="json") for e in message.payload.events]


def incidents_of(value: bytes | None) -> Iterable[dict[str, Any]]:
    """The incident state in one record of the incident topic (none if it is not a valid message)."""
    try:
        message = decode(INCIDENTS, value)
    except RejectMessage:
        return []
    return [message.payload.model_dump(mode="json")]


async def subscribe(settings: BaseServiceSettings, flt: EventFilter, *, from_beginning: bool = False,
                    group: str | None = None, max_events: int | None = None, idle_timeout_s: float | None = None,
                    out: IO[str] = sys.stdout, stop: Callable[[], bool] = lambda: False,
                    incidents: bool = False) -> int:
    """Print matching events (or, with `incidents`, incident states) as JSON lines until
    `max_events` were printed, nothing arrived for `idle_timeout_s`, or `stop()` says so. Returns
    how many were printed."""
    topic: Topic = INCIDENTS if incidents else EVENTS_GEOCODED
    items_of = incidents_of if incidents else events_of
    name = topic_name(settings, topic)
    consumer = AIOKafkaConsumer(group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest" if from_beginning else "latest",
                                session_timeout_ms=settings.kafka_session_timeout_ms,
                                heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
                                **connection_options(settings))
    await consumer.start()
    printed, idle = 0, 0.0
    try:
        if group:
            consumer.subscribe([name])
        else:
            known = consumer.partitions_for_topic(name) or range(topic.partitions)
            parts = [TopicPartition(name, p) for p in known]
            consumer.assign(parts)
            if from_beginning:
                await consumer.seek_to_beginning(*parts)
            else:
                await consumer.seek_to_end(*parts)
        while not stop():
            batch = await consumer.getmany(timeout_ms=500)
            idle = 0.0 if batch else idle + 0.5
            for records in batch.values():
                for record in records:
                    for event in items_of(record.value):
                        if flt.accepts(event):
                            out.write(json.dumps(event, ensure_ascii=False) + "\n")
                            printed += 1
                            if max_events is not None and printed >= max_events:
                                out.flush()
                                return printed
            out.flush()
            if group and batch:
                await consumer.commit()
            if idle_timeout_s is not None and idle >= idle_timeout_s:
                return printed
        return printed
    finally:
        await consumer.stop()


def run_subscribe(flt: EventFilter, **kwargs: Any) -> int:
    settings = BaseServiceSettings()
    try:
        asyncio.run(subscribe(settings, flt, **kwargs))
    except KeyboardInterrupt:
        pass
    return 0
