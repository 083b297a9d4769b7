"""The live feed behind GET /v1/stream.

One consumer of the public event topic per gateway process, without a group and assigned to every
partition, reads from the end of the topic and fans each record out to the queue of every
connected client. Positions are the topic's own: a client's cursor is the next offset of every
partition ("0:12,1:4,..."), sent as the SSE id, so Last-Event-ID stays meaningful across gateway
restarts and between gateway replicas. A resuming client replays what it missed with a
short-lived consumer that reads from its cursor up to where its live queue begins; a cursor the
topic no longer holds (retention) or has never held (another broker) raises CursorTooOld, which
the stream (api/routes/stream.py) turns into an `event: reset`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.gateway.filters import EventFilter, accepts_event
from shared.backoff import Backoff
from shared.config import BaseServiceSettings
from shared.kafka.clients import connection_options, topic_name
from shared.kafka.errors import RejectMessage
from shared.kafka.serde import decode
from shared.messages import EventsGeocoded, IncidentEvent
from shared.topics import EVENTS_GEOCODED

log = logging.getLogger(__name__)

Cursor = dict[int, int]  # partition -> next offset to read


class BadCursor(ValueError):
    """A Last-Event-ID this stream cannot have sent."""


class CursorTooOld(LookupError):
    """The topic no longer holds (or never held) the records after this cursor."""


class TopicMissing(LookupError):
    """The event topic does not exist (yet): the feed waits for it like for a broker."""


def format_cursor(cursor: Cursor) -> str:
    return ",".join(f"{p}:{o}" for p, o in sorted(cursor.items()))


def parse_cursor(raw: str) -> Cursor:
    """Raises BadCursor for anything but "p:o,p:o,..." with non-negative integers."""
    out: Cursor = {}
    try:
        for part in raw.strip().split(","):
            p, o = part.split(":")
            partition, offset = int(p), int(o)
            if partition < 0 or offset < 0 or partition in out:
                raise ValueError
            out[partition] = offset
    except ValueError:
        raise BadCursor("must be an id this stream sent: partition:offset pairs, "
                        "e.g. 0:12,1:4") from None
    return out


def accepts(flt: EventFilter, ev: IncidentEvent, now: datetime) -> bool:
    """`flt` (the filters of GET /v1/events, as parsed there) applied to one event in memory: the
    in-memory reading of filters.TERMS, so the same meaning as the SQL; an event's time falls back
    to `now`, when it passes by, where the store would use the time it was stored."""
    return accepts_event(flt, ev, now)


@dataclass(frozen=True)
class Update:
    """One record of the event topic: an article's complete event set, and the cursor after it."""

    cursor: str
    article_id: str
    events: tuple[IncidentEvent, ...]


@dataclass(eq=False)
class Subscription:
    """A client's live queue. `start` is the cursor its first queued update follows; a queue that
    overflowed gets nothing more, and its reader resumes from the topic instead."""

    start: Cursor
    queue: asyncio.Queue[Update]
    overflowed: bool = False


@dataclass(eq=False)
class LiveFeed:
    """The gateway's one consumer of the event topic and its subscribers. `start()` in the app's
    lifespan (it connects in the background and keeps retrying, so the gateway starts without a
    broker), `stop()` at shutdown."""

    settings: BaseServiceSettings
    queue_size: int = 1000  # updates a client may fall behind before it is caught up from the topic
    retry_s: float = 2.0  # the first retry's delay; it doubles while the outage lasts
    retry_max_s: float = 30.0
    _subs: set[Subscription] = field(default_factory=set, init=False)
    _positions: Cursor = field(default_factory=dict, init=False)
    _ready: bool = field(default=False, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    @property
    def topic(self) -> str:
        return topic_name(self.settings, EVENTS_GEOCODED)

    @property
    def ready(self) -> bool:
        """True while the feed is assigned to the topic (false when the broker is unreachable at
        start, or the topic does not exist yet)."""
        return self._ready

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def subscribe(self) -> Subscription:
        """A queue of every update after the current position. Synchronous, so no record can fall
        between `start` and the queue."""
        sub = Subscription(start=dict(self._positions), queue=asyncio.Queue(self.queue_size))
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def _consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(client_id=f"{self.settings.kafka_client_id_prefix}-gateway-live",
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
                                **connection_options(self.settings))

    async def _run(self) -> None:
        """Follow the topic; while it cannot be read, retry with a delay that doubles up to
        `retry_max_s` (the shared backoff). An outage is logged once, at WARNING with its reason,
        and its end at INFO."""
        backoff, failures = Backoff(self.retry_s, self.retry_max_s), 0
        outage_since: float | None = None
        while True:
            consumer = self._consumer()
            try:
                await consumer.start()
                await self._assign(consumer)
                self._ready = True
                if outage_since is not None:
                    log.info("live feed reconnected", extra={"topic": self.topic,
                                                             "outage_s": round(time.monotonic() - outage_since, 1)})
                outage_since, failures = None, 0
                log.info("live feed following", extra={"topic": self.topic, "positions": self._positions})
                await self._follow(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - the broker being away must not stop the gateway
                failures += 1
                if outage_since is None:
                    outage_since = time.monotonic()
                    log.warning("live feed cannot read the event topic; retrying with back-off until it can",
                                extra={"topic": self.topic, "error": repr(err), "retry_max_s": self.retry_max_s})
                else:
                    log.debug("live feed still cannot read the event topic", extra={"error": repr(err)})
            finally:
                self._ready = False
                with contextlib.suppress(Exception):
                    await consumer.stop()
            await asyncio.sleep(backoff.delay(failures))

    async def _assign(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        """Assign every partition; continue from where this feed was (after a reconnect), else
        from the end. Raises TopicMissing while the topic does not exist (never auto-creates)."""
        if self.topic not in await consumer.topics():
            raise TopicMissing(f"the topic {self.topic} does not exist yet")
        tps = [TopicPartition(self.topic, p) for p in sorted(consumer.partitions_for_topic(self.topic) or ())]
        if not tps:
            raise TopicMissing(f"the topic {self.topic} has no partitions yet")
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            known = self._positions.get(tp.partition)
            if known is not None and known <= ends[tp]:
                consumer.seek(tp, known)
            else:
                consumer.seek(tp, ends[tp])
                self._positions[tp.partition] = ends[tp]
        return tps

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=1000, max_records=self.settings.kafka_max_batch)
            for records in batch.values():
                for record in records:
                    self._positions[record.partition] = record.offset + 1
                    update = self._update(record, self._positions)
                    if update is not None:
                        self._dispatch(update)

    def _dispatch(self, update: Update) -> None:
        for sub in self._subs:
            if sub.overflowed:
                continue
            try:
                sub.queue.put_nowait(update)
            except asyncio.QueueFull:
                sub.overflowed = True

    def _update(self, record: ConsumerRecord, cursor: Cursor) -> Update | None:
        try:
            message = decode(EVENTS_GEOCODED, record.value)
        except RejectMessage as err:
            log.warning("live feed skips an undecodable record",
                        extra={"topic": record.topic, "partition": record.partition, "offset": record.offset,
                               "reason": str(err)})
            return None
        assert isinstance(message, EventsGeocoded)
        return Update(format_cursor(cursor), message.payload.article_id, tuple(message.payload.events))

    async def replay(self, start: Cursor, end: Cursor) -> AsyncIterator[Update]:
        """The records after `start` and before `end` (both cursors), read with a consumer of their
        own. Partitions `start` does not name are not replayed. Raises CursorTooOld, before
        yielding anything, when `start` is beyond `end` or before the oldest record kept."""
        if any(start.get(p, o) > o for p, o in end.items()):
            raise CursorTooOld("this id is ahead of the topic (it comes from another broker or before a reset)")
        wanted = {p: start[p] for p in end if p in start and start[p] < end[p]}
        if not wanted:
            return
        consumer = self._consumer()
        await consumer.start()
        try:
            tps = {p: TopicPartition(self.topic, p) for p in wanted}
            consumer.assign(list(tps.values()))
            first = await consumer.beginning_offsets(list(tps.values()))
            if any(first[tps[p]] > o for p, o in wanted.items()):
                raise CursorTooOld("the topic no longer holds the events after this id")
            for p, offset in wanted.items():
                consumer.seek(tps[p], offset)
            cursor = {**end, **wanted}
            while wanted:
                batch = await consumer.getmany(timeout_ms=1000, max_records=self.settings.kafka_max_batch)
                for tp, records in batch.items():
                    for record in records:
                        if record.offset >= end[tp.partition]:
                            break
                        cursor[tp.partition] = record.offset + 1
                        update = self._update(record, cursor)
                        if update is not None:
                            yield update
                for p in list(wanted):
                    if await consumer.position(tps[p]) >= end[p]:
                        consumer.pause(tps[p])
                        del wanted[p]
        finally:
            await consumer.stop()
