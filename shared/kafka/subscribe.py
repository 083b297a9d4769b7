"""`dronewatch subscribe`: follow the public event topic (or, with --incidents, the incident
topic) and print one JSON line per event (incident state) that passes the filters. Works against
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

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.config import BaseServiceSettings
from shared.kafka.clients import make_reader, topic_name
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
    how many were printed. With `group`, what was printed is committed: every record whose items
    were all printed (or filtered out), so a restart neither skips one nor repeats a record it
    finished."""
    topic: Topic = INCIDENTS if incidents else EVENTS_GEOCODED
    consumer = make_reader(settings, "subscribe", group=group, from_beginning=from_beginning)
    await consumer.start()
    printer = _Printer(flt, out, max_events, incidents_of if incidents else events_of)
    idle = 0.0
    try:
        await _attach(consumer, topic_name(settings, topic), topic.partitions, group=group,
                      from_beginning=from_beginning)
        while not stop() and not printer.full:
            batch = await consumer.getmany(timeout_ms=500)
            idle = 0.0 if batch else idle + 0.5
            done = printer.print_batch(batch)
            if group and done:
                await consumer.commit(done)
            if idle_timeout_s is not None and idle >= idle_timeout_s:
                break
        return printer.printed
    finally:
        await consumer.stop()


async def _attach(consumer: AIOKafkaConsumer, name: str, partitions: int, *, group: str | None,
                  from_beginning: bool) -> None:
    """Join `group` on the topic, or, without one, read every partition on its own."""
    if group:
        consumer.subscribe([name])
        return
    known = consumer.partitions_for_topic(name) or range(partitions)
    parts = [TopicPartition(name, p) for p in known]
    consumer.assign(parts)
    if from_beginning:
        await consumer.seek_to_beginning(*parts)
    else:
        await consumer.seek_to_end(*parts)


@dataclass
class _Printer:
    flt: EventFilter
    out: IO[str]
    max_events: int | None
    items_of: Callable[[bytes | None], Iterable[dict[str, Any]]] = events_of
    printed: int = 0

    @property
    def full(self) -> bool:
        return self.max_events is not None and self.printed >= self.max_events

    def print_batch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> dict[TopicPartition, int]:
        """Print the batch's matching events, stopping once full. Returns, per partition, the offset
        after the last record it finished."""
        done: dict[TopicPartition, int] = {}
        try:
            for tp, records in batch.items():
                for record in records:
                    if not self._print_record(record.value):
                        return done
                    done[tp] = record.offset + 1
            return done
        finally:
            self.out.flush()

    def _print_record(self, value: bytes | None) -> bool:
        """Print one record's matching events; False if it was full before the record's last one."""
        if self.full:
            return False
        events = [e for e in self.items_of(value) if self.flt.accepts(e)]
        for i, event in enumerate(events):
            self.out.write(json.dumps(event, ensure_ascii=False) + "\n")
            self.printed += 1
            if self.full:
                return i == len(events) - 1
        return True


def run_subscribe(flt: EventFilter, **kwargs: Any) -> int:
    settings = BaseServiceSettings()
    try:
        asyncio.run(subscribe(settings, flt, **kwargs))
    except KeyboardInterrupt:
        pass
    return 0
