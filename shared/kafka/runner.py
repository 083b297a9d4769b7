"""The one Kafka runner every worker service uses.

A service hands the runner its subscriptions (topic -> handler). The runner, the same way for all:

* starts the producer, then the consumer (group = service name, auto-commit off);
* fetches a batch; in partition order decodes each record, calls the handler, and sends the
  messages it returns (each to the topic the catalogue gives its type);
* commits `offset + 1` per partition only after every output of the batch is acknowledged by the
  broker (at-least-once), throttled to every N messages or T seconds, and forced on partition
  revoke and on shutdown;
* stops on the stop event: finishes the batch, flushes, commits, stops consumer and producer.

Failures, each handled here and nowhere else:

* poison (undecodable, invalid, unknown schema_version, handler raised RejectMessage, or the
  handler failed on this message with an unexpected exception): the original bytes go to
  `dlq.<service>` with headers dlq.reason / dlq.source.topic / .partition / .offset, and the
  runner carries on. Dead-lettering a handler bug (instead of crashing) keeps one bad article from
  halting the pipeline; the DLQ limit below still stops a bad deploy;
* transient (handler raised TransientError): retried with exponential backoff up to
  `transient_retry_max_s`, then the runner stops WITHOUT committing, so the message is redelivered;
* more than `dlq_max_consecutive` dead letters in a row: DlqLimitExceeded, stop without committing.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from shared.config import BaseServiceSettings
from shared.kafka.clients import make_consumer, make_producer, topic_name
from shared.kafka.errors import DlqLimitExceeded, RejectMessage, TransientError
from shared.kafka.serde import decode, encode, headers_for
from shared.messages import Message
from shared.metrics import ServiceMetrics
from shared.topics import DLQ_FOR_SERVICE, Topic, topic_for_model

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[Sequence[Message]]]
COMMIT_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class DeadLetter:
    """What a consumer of a dead-letter topic receives: the original record and why it failed."""

    key: str | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def reason(self) -> str:
        return self.headers.get("dlq.reason", "unknown")

    @property
    def source(self) -> str:
        h = self.headers
        return f"{h.get('dlq.source.topic')}[{h.get('dlq.source.partition')}]@{h.get('dlq.source.offset')}"


@dataclass(frozen=True)
class Subscription:
    topic: Topic
    handler: Handler


@dataclass
class RunnerStats:
    consumed: int = 0
    produced: int = 0
    dead_lettered: int = 0
    transient_retries: int = 0
    commits: int = 0
    last_error: str | None = None
    partitions: set[TopicPartition] = field(default_factory=set)


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.runner._commit(only=set(revoked))
        self.runner.stats.partitions -= set(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.runner.stats.partitions |= set(assigned)
        log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned)})


class Runner:
    """Consume -> handle -> produce -> commit, for one service. See the module docstring."""

    def __init__(
        self,
        settings: BaseServiceSettings,
        service: str,
        subscriptions: Sequence[Subscription],
        *,
        on_close: Sequence[Callable[[], Any]] = (),
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.subscriptions = {topic_name(settings, s.topic): s for s in subscriptions}
        self.on_close = on_close
        self.dlq = DLQ_FOR_SERVICE.get(service)
        self.stats = RunnerStats()
        self.metrics = metrics or ServiceMetrics(service)
        self.started = asyncio.Event()
        self.stopped = False
        self._acked: dict[TopicPartition, int] = {}  # next offset to commit, outputs acknowledged
        self._since_commit = 0
        self._last_commit = time.monotonic()
        self._consecutive_dlq = 0
        self._consumer: Any = None
        self._producer: Any = None

    # --- lifecycle -------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set. Raises (without committing the message in hand) on a
        transient fault that does not pass, on the DLQ limit, and on a failed delivery."""
        self._producer = make_producer(self.settings, self.service)
        await self._producer.start()
        self._consumer = make_consumer(self.settings, self.service)
        try:
            self._consumer.subscribe(list(self.subscriptions), listener=_Rebalance(self))
            await self._consumer.start()
            self.started.set()
            log.info("runner started", extra={"topics": list(self.subscriptions), "group": self.service})
            while not stop.is_set():
                batch = await self._consumer.getmany(timeout_ms=200, max_records=self.settings.kafka_max_batch)
                if batch:
                    await self._process_batch(batch, stop)
                await self._maybe_commit()
            await self._commit()
        finally:
            self.stopped = True
            await self._shutdown()

    @property
    def ready(self) -> bool:
        """Joined its group and not stopping: what /readyz reports."""
        return self.started.is_set() and not self.stopped

    async def _shutdown(self) -> None:
        for client in (self._consumer, self._producer):
            if client is not None:
                try:
                    await asyncio.wait_for(client.stop(), COMMIT_TIMEOUT_S)
                except (KafkaError, TimeoutError, OSError) as err:
                    log.warning("client did not stop cleanly", extra={"error": repr(err)})
        for close in self.on_close:
            result = close()
            if asyncio.iscoroutine(result):
                await result
        log.info("runner stopped", extra={"stats": self._stats_dict()})

    # --- processing ------------------------------------------------------------------------
    async def _process_batch(self, batch: dict[TopicPartition, list[Any]], stop: asyncio.Event) -> None:
        deliveries: list[asyncio.Future[Any]] = []
        produced: dict[str, int] = {}
        done: dict[TopicPartition, int] = {}
        m, svc = self.metrics, self.service
        for tp, records in batch.items():
            for record in records:
                self.stats.consumed += 1
                m.consumed.labels(svc, record.topic).inc()
                with m.processing.labels(svc, record.topic).time():
                    outputs, reason = await self._handle(record, stop)
                if reason is not None:
                    await self._dead_letter(record, reason)
                else:
                    self._consecutive_dlq = 0
                    for out in outputs:
                        topic, future = await self._send(out)
                        deliveries.append(future)
                        produced[topic] = produced.get(topic, 0) + 1
                done[tp] = record.offset + 1
        if deliveries:
            await asyncio.gather(*deliveries)  # raises if the broker did not take an output
            self.stats.produced += len(deliveries)
            for topic, n in produced.items():
                m.produced.labels(svc, topic).inc(n)
        self._acked.update(done)
        self._since_commit += sum(len(r) for r in batch.values())

    async def _handle(self, record: Any, stop: asyncio.Event) -> tuple[Sequence[Message], str | None]:
        """(outputs, None) on success, ((), reason) for poison. Raises TransientError when a
        transient fault outlasts the retry budget, or when asked to stop while retrying."""
        sub = self.subscriptions[record.topic]
        ctx = {"topic": record.topic, "partition": record.partition, "offset": record.offset,
               "key": _text(record.key)}
        try:
            message: Any = (_dead_letter_of(record) if sub.topic.model is None
                            else decode(sub.topic, record.value))
        except RejectMessage as err:
            return (), str(err)
        delay = self.settings.transient_retry_initial_s
        deadline = time.monotonic() + self.settings.transient_retry_max_s
        while True:
            try:
                return await sub.handler(message), None
            except RejectMessage as err:
                return (), str(err)
            except TransientError as err:
                self.stats.transient_retries += 1
                self.metrics.errors.labels(self.service, "transient").inc()
                self.stats.last_error = repr(err)
                if time.monotonic() + delay > deadline or stop.is_set():
                    log.error("transient fault did not pass; stopping without commit",
                              extra={**ctx, "error": repr(err)})
                    raise
                log.warning("transient fault, retrying", extra={**ctx, "error": repr(err), "retry_in_s": delay})
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
                delay = min(delay * 2, 10.0)
            except Exception as err:  # noqa: BLE001 - a failure on this message: dead-letter it
                self.metrics.errors.labels(self.service, "handler").inc()
                log.exception("handler failed; dead-lettering", extra=ctx)
                return (), f"{type(err).__name__}: {err}"

    async def _send(self, message: Message) -> tuple[str, asyncio.Future[Any]]:
        topic = topic_name(self.settings, topic_for_model(type(message)))
        future = await self._producer.send(topic, encode(message), key=message.key.encode(),
                                           headers=headers_for(message))
        return topic, future

    async def _dead_letter(self, record: Any, reason: str) -> None:
        self.stats.dead_lettered += 1
        self.metrics.dead_lettered.labels(self.service, record.topic).inc()
        self._consecutive_dlq += 1
        extra = {"topic": record.topic, "partition": record.partition, "offset": record.offset,
                 "key": _text(record.key), "reason": reason}
        if self.dlq is None:
            raise RuntimeError(f"{self.service} has no dead-letter topic; cannot reject: {reason}")
        headers = [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq.")] + [
            ("dlq.reason", reason[:2000].encode()),
            ("dlq.service", self.service.encode()),
            ("dlq.source.topic", record.topic.encode()),
            ("dlq.source.partition", str(record.partition).encode()),
            ("dlq.source.offset", str(record.offset).encode()),
        ]
        await self._producer.send_and_wait(topic_name(self.settings, self.dlq), record.value, key=record.key,
                                           headers=headers)
        log.warning("message dead-lettered", extra=extra)
        if self._consecutive_dlq > self.settings.dlq_max_consecutive:
            raise DlqLimitExceeded(f"{self._consecutive_dlq} consecutive dead letters; last: {reason}")

    # --- commits ---------------------------------------------------------------------------
    async def _maybe_commit(self) -> None:
        due = (self._since_commit >= self.settings.kafka_commit_every_messages
               or time.monotonic() - self._last_commit >= self.settings.kafka_commit_every_s)
        if due and self._acked:
            await self._commit()
            await self._record_lag()

    async def _record_lag(self) -> None:
        for tp in list(self._consumer.assignment()):
            high = self._consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = await self._consumer.position(tp)
            except (KafkaError, AssertionError):  # revoked meanwhile
                continue
            self.metrics.lag.labels(self.service, tp.topic, str(tp.partition)).set(max(0, high - position))

    async def _commit(self, only: set[TopicPartition] | None = None) -> None:
        offsets = {tp: off for tp, off in self._acked.items() if only is None or tp in only}
        if not offsets or self._consumer is None:
            return
        try:
            await asyncio.wait_for(self._consumer.commit(offsets), COMMIT_TIMEOUT_S)
            self.stats.commits += 1
        except CommitFailedError as err:  # rebalanced meanwhile: the new owner re-reads, ids dedupe
            log.warning("commit failed after rebalance", extra={"error": repr(err)})
        for tp in offsets:
            self._acked.pop(tp, None)
        self._since_commit = 0
        self._last_commit = time.monotonic()

    def _stats_dict(self) -> dict[str, Any]:
        s = self.stats
        return {"consumed": s.consumed, "produced": s.produced, "dead_lettered": s.dead_lettered,
                "transient_retries": s.transient_retries, "commits": s.commits}


def _text(raw: bytes | None) -> str | None:
    return raw.decode("utf-8", "replace") if raw is not None else None


def _dead_letter_of(record: Any) -> DeadLetter:
    headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or ())}
    return DeadLetter(key=_text(record.key), value=record.value, headers=headers)


async def run_until_signalled(runner: Runner) -> None:
    """Run `runner` until SIGTERM or SIGINT, then stop it cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runner.run(stop)
