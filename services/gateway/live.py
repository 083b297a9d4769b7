"""The live feed behind GET /v1/stream.

One reader per gateway process (shared/kafka `make_reader`: no group, assigned to every partition)
follows the public event topic and the incident topic from their ends, and fans each record out
to the queue of every connected client. Positions are the topics' own: a client's cursor is the
next offset of every partition, "0:12,1:4,..." for the event topic and "i0:3,i1:0,..." for the
incident topic, sent as the SSE id, so Last-Event-ID stays meaningful across gateway restarts and
between gateway replicas (an id from before incidents, without "i" parts, resumes the events and
starts the incidents where the stream is now). A resuming client replays what it missed with a
short-lived reader that reads from its cursor up to where its live queue begins; a cursor the
topics no longer hold (retention) or have never held (another broker) raises CursorTooOld, which
the stream (api/routes/stream.py) turns into an `event: reset`. While the topics cannot be read,
the feed reconnects on the shared back-off (shared/kafka/reconnect.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.gateway.filters import EventFilter, accepts_event
from shared.backoff import Backoff
from shared.config import BaseServiceSettings
from shared.kafka.clients import make_reader, topic_name
from shared.kafka.errors import RejectMessage
from shared.kafka.reconnect import Outage, connect_with_backoff
from shared.kafka.serde import decode
from shared.messages import EventsGeocoded, Incident, IncidentEvent, IncidentUpdated
from shared.topics import EVENTS_GEOCODED, INCIDENTS, Topic

log = logging.getLogger(__name__)

# The topics the feed follows, each with the tag its partitions carry in a cursor.
TAGS: dict[str, Topic] = {"": EVENTS_GEOCODED, "i": INCIDENTS}
Position = tuple[str, int]  # (tag, partition)
Cursor = dict[Position, int]  # -> next offset to read


class BadCursor(ValueError):
    """A Last-Event-ID this stream cannot have sent."""


class CursorTooOld(LookupError):
    """The topic no longer holds (or never held) the records after this cursor."""


class TopicMissing(LookupError):
    """A topic the feed follows does not exist (yet): the feed waits for it like for a broker."""


def format_cursor(cursor: Cursor) -> str:
    return ",".join(f"{t}{p}:{o}" for (t, p), o in sorted(cursor.items()))


def parse_cursor(raw: str) -> Cursor:
    """Raises BadCursor for anything but "p:o,p:o,..." with non-negative integers, each partition
    optionally tagged with its topic ("i" for incidents)."""
    out: Cursor = {}
    try:
        for part in raw.strip().split(","):
            p, o = part.split(":")
            tag = p.rstrip("0123456789")
            if tag not in TAGS or tag == p:
                raise ValueError
            position, offset = (tag, int(p[len(tag):])), int(o)
            if offset < 0 or position in out:
                raise ValueError
            out[position] = offset
    except ValueError:
        raise BadCursor("must be an id this stream sent: partition:offset pairs, "
                        "e.g. 0:12,1:4,i0:3") from None
    return out


def accepts(flt: EventFilter, ev: IncidentEvent, now: datetime) -> bool:
    """`flt` (the filters of GET /v1/events, as parsed there) applied to one event in memory: the
    in-memory reading of filters.TERMS, so the same meaning as the SQL; an event's time falls back
    to `now`, when it passes by, where the store would use the time it was stored."""
    return accepts_event(flt, ev, now)


@dataclass(frozen=True)
class Update:
    """One record: an article's complete event set (`incident` None), or an incident's new state
    (`events` empty); and the cursor after it."""

    cursor: str
    article_id: str | None
    events: tuple[IncidentEvent, ...] = ()
    incident: Incident | None = None


@dataclass(eq=False)
class Subscription:
    """A client's live queue. `start` is the cursor its first queued update follows; a queue that
    overflowed gets nothing more, and its reader resumes from the topic instead."""

    start: Cursor
    queue: asyncio.Queue[Update]
    overflowed: bool = False


@dataclass(eq=False)
class LiveFeed:
    """The gateway's one reader of the event and incident topics and its subscribers. `start()` in
    the app's lifespan (it connects in the background and keeps retrying, so the gateway starts
    without a broker), `stop()` at shutdown."""

    settings: BaseServiceSettings
    queue_size: int = 1000  # updates a client may fall behind before it is caught up from the topic
    retry_s: float = 2.0  # the first retry's delay; it doubles while the outage lasts
    retry_max_s: float = 30.0
    _subs: set[Subscription] = field(default_factory=set, init=False)
    _positions: Cursor = field(default_factory=dict, init=False)
    _ready: bool = field(default=False, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    @property
    def topics(self) -> dict[str, str]:
        """tag -> topic name (with the deployment's prefix)"""
        return {tag: topic_name(self.settings, t) for tag, t in TAGS.items()}

    @property
    def topic(self) -> str:
        """The event topic's name."""
        return self.topics[""]

    @property
    def ready(self) -> bool:
        """True while the feed is assigned to the topics (false when the broker is unreachable at
        start, or a topic does not exist yet)."""
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

    def _reader(self) -> AIOKafkaConsumer:
        return make_reader(self.settings, "gateway-live")

    async def _connect(self) -> AIOKafkaConsumer:
        consumer = self._reader()
        try:
            await consumer.start()
            await self._assign(consumer)
        except BaseException:
            with contextlib.suppress(Exception):
                await consumer.stop()
            raise
        return consumer

    async def _run(self) -> None:
        """Connect (retrying on the shared back-off while the topics cannot be read), follow the
        topics until something fails, and connect again. An outage is logged once, at WARNING with
        its reason, and its end at INFO."""
        outage = Outage(log, "live feed", "its topics", {"topics": list(self.topics.values())})
        backoff = Backoff(self.retry_s, self.retry_max_s)
        while True:
            consumer = await connect_with_backoff(self._connect, backoff=backoff, outage=outage)
            try:
                self._ready = True
                log.info("live feed following", extra={"topics": list(self.topics.values()),
                                                        "positions": format_cursor(self._positions)})
                await self._follow(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - the broker being away must not stop the gateway
                outage.failed(err)
            finally:
                self._ready = False
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _assign(self, consumer: AIOKafkaConsumer) -> None:
        """Assign every partition of both topics; continue from where this feed was (after a
        reconnect), else from the end. Raises TopicMissing while a topic does not exist (never
        auto-creates)."""
        known = await consumer.topics()
        tps: dict[Position, TopicPartition] = {}
        for tag, name in self.topics.items():
            parts = sorted(consumer.partitions_for_topic(name) or ()) if name in known else []
            if not parts:
                raise TopicMissing(f"the topic {name} does not exist yet")
            tps.update({(tag, p): TopicPartition(name, p) for p in parts})
        consumer.assign(list(tps.values()))
        ends = await consumer.end_offsets(list(tps.values()))
        for position, tp in tps.items():
            at = self._positions.get(position)
            if at is not None and at <= ends[tp]:
                consumer.seek(tp, at)
            else:
                consumer.seek(tp, ends[tp])
                self._positions[position] = ends[tp]

    def _position(self, record: ConsumerRecord) -> Position:
        tag = next(t for t, name in self.topics.items() if name == record.topic)
        return tag, record.partition

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=1000, max_records=self.settings.kafka_max_batch)
            for records in batch.values():
                for record in records:
                    self._positions[self._position(record)] = record.offset + 1
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
        tag, _ = self._position(record)
        try:
            message = decode(TAGS[tag], record.value)
        except RejectMessage as err:
            log.warning("live feed skips an undecodable record",
                        extra={"topic": record.topic, "partition": record.partition, "offset": record.offset,
                               "reason": str(err)})
            return None
        if isinstance(message, IncidentUpdated):
            return Update(format_cursor(cursor), None, incident=message.payload)
        assert isinstance(message, EventsGeocoded)
        return Update(format_cursor(cursor), message.payload.article_id, tuple(message.payload.events))

    async def replay(self, start: Cursor, end: Cursor) -> AsyncIterator[Update]:
        """The records after `start` and before `end` (both cursors), read with a reader of their
        own. Partitions `start` does not name are not replayed. Raises CursorTooOld, before
        yielding anything, when `start` is beyond `end` or before the oldest record kept."""
        if any(start.get(p, o) > o for p, o in end.items()):
            raise CursorTooOld("this id is ahead of the topic (it comes from another broker or before a reset)")
        wanted = {p: start[p] for p in end if p in start and start[p] < end[p]}
        if not wanted:
            return
        consumer = self._reader()
        await consumer.start()
        try:
            tps = {p: TopicPartition(self.topics[p[0]], p[1]) for p in wanted}
            consumer.assign(list(tps.values()))
            first = await consumer.beginning_offsets(list(tps.values()))
            if any(first[tps[p]] > o for p, o in wanted.items()):
                raise CursorTooOld("the topic no longer holds the events after this id")
            for p, offset in wanted.items():
                consumer.seek(tps[p], offset)
            cursor = {**end, **wanted}
            while wanted:
                batch = await consumer.getmany(timeout_ms=1000, max_records=self.settings.kafka_max_batch)
                for records in batch.values():
                    for record in records:
                        position = self._position(record)
                        if record.offset >= end[position]:
                            break
                        cursor[position] = record.offset + 1
                        update = self._update(record, cursor)
                        if update is not None:
                            yield update
                for p in list(wanted):
                    if await consumer.position(tps[p]) >= end[p]:
                        consumer.pause(tps[p])
                        del wanted[p]
        finally:
            await consumer.stop()
