"""The one Kafka runner every worker service uses.

A service hands the runner its subscriptions (topic -> handler). The runner, the same way for all:

* starts the producer, then the consumer (group = service name, auto-commit off);
* fetches a batch; in partition order decodes each record and calls the handler; once the batch
  is handled, sends the messages the handlers returned, in order, together (each to the topic the
  catalogue gives its type), so they leave in one produce request. A subscription with a
  batch handler gets all of the batch's messages of its topic in one call instead (storage
  writes them in one transaction); if that call fails with anything but a transient fault, the
  records go through the per-record handler one by one, so the one at fault is dead-lettered
  alone;
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
* transient (handler raised TransientError): retried (tenacity, with the shared exponential
  backoff of shared/backoff.py) while the next attempt would start within `transient_retry_max_s`,
  then the runner stops WITHOUT committing, so the message is redelivered;
* more than `dlq_max_consecutive` dead letters in a row, or more than `dlq_max_per_window` within
  `dlq_window_s` (a burst, even interleaved with good records): DlqLimitExceeded, logged as
  critical, stop without committing.

What it did is counted once, in the service's Prometheus metrics (`ServiceMetrics`): consumed,
produced, dead-lettered, errors by kind (transient retries among them) and commits. They are what
operators scrape and what the tests read (`metrics.total(...)`); a second tally in the runner would
only be a second number to keep in step.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_before_delay
from tenacity.stop import stop_base

from shared.backoff import Backoff
from shared.config import BaseServiceSettings
from shared.kafka.clients import make_consumer, make_producer, topic_name
from shared.kafka.dlq import DeadLetter, DlqLimit, dlq_headers
from shared.kafka.errors import DlqLimitExceeded, RejectMessage, TransientError
from shared.kafka.serde import decode, encode, headers_for
from shared.messages import Message
from shared.metrics import ServiceMetrics
from shared.topics import DLQ_FOR_SERVICE, Topic, topic_for_model

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[Sequence[Message]]]
BatchHandler = Callable[[list[Any]], Awaitable[Sequence[Message]]]
COMMIT_TIMEOUT_S = 15.0
TRANSIENT_RETRY_MAX_DELAY_S = 10.0  # the longest pause between two attempts at a transient fault


@dataclass(frozen=True)
class Subscription:
    """A topic and its handler (one message in, messages out). An optional `batch_handler` takes
    all of a fetched batch's messages of the topic at once (in partition, then offset order) and
    returns all their outputs; `handler` is still needed: a batch that fails on anything but a
    transient fault is handled again record by record, so the record at fault is dead-lettered
    alone."""

    topic: Topic
    handler: Handler
    batch_handler: BatchHandler | None = None


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no type information
    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.runner._commit(only=set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
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
        self.metrics = metrics or ServiceMetrics(service)
        self.started = asyncio.Event()
        self.stopped = False
        self._acked: dict[TopicPartition, int] = {}  # next offset to commit, outputs acknowledged
        self._since_commit = 0
        self._last_commit = time.monotonic()
        self._dlq_limit = DlqLimit(settings.dlq_max_consecutive, settings.dlq_max_per_window, settings.dlq_window_s)
        self._consumer: Any = None
        self._producer: Any = None
        self._topic_names: dict[type[Message], str] = {}
        self._histograms: dict[str, Any] = {}

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
        log.info("runner stopped", extra={"stats": self._totals()})

    # --- processing ------------------------------------------------------------------------
    async def _process_batch(self, batch: dict[TopicPartition, list[Any]], stop: asyncio.Event) -> None:
        """Handle one fetched batch, topic by topic (each topic's records in partition, then offset
        order), send the outputs, and mark the offsets done once every output is acknowledged."""
        outputs = _Outputs()
        by_topic: dict[str, list[Any]] = {}
        for tp, records in batch.items():
            by_topic.setdefault(tp.topic, []).extend(records)
        for topic, records in by_topic.items():
            if not records:
                continue
            sub = self.subscriptions[topic]
            self.metrics.consumed.labels(self.service, topic).inc(len(records))
            if sub.batch_handler is not None:
                await self._handle_together(sub, records, stop, outputs)
            else:
                for record in records:
                    await self._handle_one(sub, record, stop, outputs)
        await self._deliver(outputs)
        self._acked.update({tp: records[-1].offset + 1 for tp, records in batch.items() if records})
        self._since_commit += sum(len(r) for r in batch.values())

    async def _deliver(self, outputs: _Outputs) -> None:
        """Send the batch's outputs in order, then wait until the broker has acknowledged every one
        (raises if it did not take one). They are held until the whole batch is handled and then
        sent without yielding, so with no linger they leave in one produce request per broker;
        sent as each record was handled, they used to leave in about one request each."""
        if not outputs.messages:
            return
        futures = []
        produced: dict[str, int] = {}
        for message in outputs.messages:
            topic = self._topic_for(message)
            futures.append(await self._producer.send(topic, encode(message), key=message.key.encode(),
                                                     headers=headers_for(message)))
            produced[topic] = produced.get(topic, 0) + 1
        await asyncio.gather(*futures)
        for topic, n in produced.items():
            self.metrics.produced.labels(self.service, topic).inc(n)

    def _topic_for(self, message: Message) -> str:
        """The topic the catalogue gives the message's type (looked up once per type)."""
        name = self._topic_names.get(type(message))
        if name is None:
            name = self._topic_names[type(message)] = topic_name(self.settings, topic_for_model(type(message)))
        return name

    def _processing(self, topic: str) -> Any:
        """The processing-time histogram of `topic` (the labelled child, looked up once)."""
        child = self._histograms.get(topic)
        if child is None:
            child = self._histograms[topic] = self.metrics.processing.labels(self.service, topic)
        return child

    async def _handle_one(self, sub: Subscription, record: Any, stop: asyncio.Event, outputs: _Outputs,
                          message: Any = None) -> None:
        """One record through the per-record handler: its outputs added to the batch's, or the
        record dead-lettered with the reason (undecodable, RejectMessage, or an unexpected
        exception on it)."""
        with self._processing(record.topic).time():
            try:
                if message is None:
                    message = self._decode(sub, record)
                out = await self._retrying(lambda: sub.handler(message), lambda: _context(record), stop)
            except RejectMessage as err:
                reason: str | None = str(err)
            except TransientError:
                raise
            except Exception as err:  # noqa: BLE001 - a failure on this message: dead-letter it
                self.metrics.errors.labels(self.service, "handler").inc()
                log.exception("handler failed; dead-lettering", extra=_context(record))
                reason = f"{type(err).__name__}: {err}"
            else:
                reason = None
        if reason is not None:
            await self._dead_letter(record, reason)
            return
        self._dlq_limit.ok()
        outputs.messages.extend(out)

    async def _handle_together(self, sub: Subscription, records: list[Any], stop: asyncio.Event,
                               outputs: _Outputs) -> None:
        """A topic's records through its batch handler in one call (undecodable ones dead-lettered
        first). A transient fault retries the whole call; any other failure falls back to the
        per-record handler, which isolates and dead-letters the record at fault."""
        assert sub.batch_handler is not None
        histogram = self._processing(records[0].topic)
        decoded: list[tuple[Any, Any]] = []
        started = time.perf_counter()
        for record in records:
            try:
                decoded.append((record, self._decode(sub, record)))
            except RejectMessage as err:
                histogram.observe(0.0)
                await self._dead_letter(record, str(err))
        if not decoded:
            return
        batch_handler = sub.batch_handler
        messages = [m for _, m in decoded]
        first = decoded[0][0]

        def ctx() -> dict[str, Any]:
            return {**_context(first), "records": len(decoded)}

        try:
            out = await self._retrying(lambda: batch_handler(messages), ctx, stop)
        except TransientError:
            raise
        except Exception as err:  # noqa: BLE001 - find the record at fault one by one
            log.warning("batch handler failed; handling its records one by one",
                        extra={**ctx(), "error": f"{type(err).__name__}: {err}"})
            for record, message in decoded:
                await self._handle_one(sub, record, stop, outputs, message)
            return
        per_record = (time.perf_counter() - started) / len(decoded)
        for _ in decoded:
            histogram.observe(per_record)
            self._dlq_limit.ok()
        outputs.messages.extend(out)

    def _decode(self, sub: Subscription, record: Any) -> Any:
        """The typed message (a DeadLetter on a dead-letter topic); RejectMessage for poison."""
        return _dead_letter_of(record) if sub.topic.model is None else decode(sub.topic, record.value)

    async def _retrying(self, call: Callable[[], Awaitable[Sequence[Message]]],
                        ctx: Callable[[], dict[str, Any]], stop: asyncio.Event) -> Sequence[Message]:
        """`call()`, retried with the shared backoff while it raises TransientError. Raises the
        TransientError when the next attempt would start after `transient_retry_max_s` or the
        runner is asked to stop. `ctx()` gives the log context (built only when something is logged).
        The first attempt is a plain call: tenacity's machinery (about 40 µs of CPU per call) is
        paid only once that attempt failed, and then takes the failure as its own first attempt."""
        try:
            return await call()
        except TransientError as err:
            failed: list[TransientError] = [err]

        def transient(err: BaseException) -> bool:
            if isinstance(err, TransientError):
                self.metrics.errors.labels(self.service, "transient").inc()
                return True
            return False

        async def pause(seconds: float) -> None:  # ends early when the runner is asked to stop
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)

        def retrying(state: RetryCallState) -> None:
            log.warning("transient fault, retrying", extra={**ctx(), "error": _error_of(state),
                                                            "retry_in_s": state.upcoming_sleep})

        backoff = Backoff(self.settings.transient_retry_initial_s, TRANSIENT_RETRY_MAX_DELAY_S)
        attempts = AsyncRetrying(retry=retry_if_exception(transient), wait=backoff.wait(), sleep=pause,
                                 stop=stop_before_delay(self.settings.transient_retry_max_s) | _Stopping(stop),
                                 before_sleep=retrying, reraise=True)
        async def attempt() -> Sequence[Message]:
            if failed:  # the plain first call's failure, as tenacity's first attempt
                raise failed.pop()
            return await call()

        try:
            return await attempts(attempt)
        except TransientError as err:
            log.error("transient fault did not pass; stopping without commit", extra={**ctx(), "error": repr(err)})
            raise

    async def _dead_letter(self, record: Any, reason: str) -> None:
        self.metrics.dead_lettered.labels(self.service, record.topic).inc()
        extra = {"topic": record.topic, "partition": record.partition, "offset": record.offset,
                 "key": _text(record.key), "reason": reason}
        if self.dlq is None:
            raise RuntimeError(f"{self.service} has no dead-letter topic; cannot reject: {reason}")
        await self._producer.send_and_wait(topic_name(self.settings, self.dlq), record.value, key=record.key,
                                           headers=dlq_headers(record, reason, self.service))
        log.warning("message dead-lettered", extra=extra)
        if problem := self._dlq_limit.record():
            log.critical(f"dead-letter limit exceeded ({problem}); stopping without committing: likely a bad "
                         "deploy or a broken producer, not bad messages", extra=extra)
            raise DlqLimitExceeded(f"{problem}; last: {reason}")

    # --- commits ---------------------------------------------------------------------------
    async def _maybe_commit(self) -> None:
        """Every N messages or T seconds: commit what is acknowledged, then look at each partition's
        position (even when there was nothing to commit: a consumer stuck past the end handles nothing)."""
        due = (self._since_commit >= self.settings.kafka_commit_every_messages
               or time.monotonic() - self._last_commit >= self.settings.kafka_commit_every_s)
        if not due:
            return
        if self._acked:
            await self._commit()
        else:
            self._last_commit = time.monotonic()
        await self._check_positions()

    async def _check_positions(self) -> None:
        """Record each assigned partition's lag, and rewind a partition whose position lies past its
        end. That happens when the partition was re-created or truncated (a broker that lost its
        data, as the in-memory local broker does on a restart, keeping our in-memory positions and
        the offsets we commit afterwards). Kafka answers a fetch there with OFFSET_OUT_OF_RANGE and
        the client resets to the beginning (auto_offset_reset); the local broker answers with no
        records, so the consumer would wait for ever. Rewinding re-reads what is there; handlers are
        idempotent."""
        for tp in list(self._consumer.assignment()):
            high = self._consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = await self._consumer.position(tp)
                if position > high:
                    log.warning("position past the end of the partition; rewinding to its beginning",
                                extra={"topic": tp.topic, "partition": tp.partition, "position": position,
                                       "high_watermark": high})
                    self._acked.pop(tp, None)  # an offset past the end: never commit it
                    await self._consumer.seek_to_beginning(tp)
                    continue
            except (KafkaError, AssertionError):  # revoked meanwhile
                continue
            self.metrics.lag.labels(self.service, tp.topic, str(tp.partition)).set(max(0, high - position))

    async def _commit(self, only: set[TopicPartition] | None = None) -> None:
        offsets = {tp: off for tp, off in self._acked.items() if only is None or tp in only}
        if not offsets or self._consumer is None:
            return
        try:
            await asyncio.wait_for(self._consumer.commit(offsets), COMMIT_TIMEOUT_S)
            self.metrics.commits.labels(self.service).inc()
        except (CommitFailedError, IllegalStateError) as err:
            # Rebalanced meanwhile (IllegalStateError: a partition is no longer ours, e.g. after the
            # process stalled past its session timeout): the new owner re-reads, ids dedupe.
            log.warning("commit failed after rebalance", extra={"error": repr(err)})
        for tp in offsets:
            self._acked.pop(tp, None)
        self._since_commit = 0
        self._last_commit = time.monotonic()

    def _totals(self) -> dict[str, float]:
        m = self.metrics
        return {"consumed": m.total(m.consumed), "produced": m.total(m.produced),
                "dead_lettered": m.total(m.dead_lettered), "transient_retries": m.total(m.errors, kind="transient"),
                "commits": m.total(m.commits)}


@dataclass
class _Outputs:
    """The messages one fetched batch's handlers returned so far, in order, not sent yet."""

    messages: list[Message] = field(default_factory=list)


class _Stopping(stop_base):
    """Retry no more once the runner is asked to stop."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.stop.is_set()


def _error_of(state: RetryCallState) -> str:
    outcome = state.outcome
    return repr(outcome.exception()) if outcome is not None and outcome.failed else ""


def _context(record: Any) -> dict[str, Any]:
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset, "key": _text(record.key)}


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
