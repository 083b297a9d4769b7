"""The Kafka runner against the real local broker: outputs before commits, dead letters with
reasons, transient faults retried, and redelivery that produces identical output ids."""
from __future__ import annotations

import asyncio
import json

import pytest

from shared.kafka.errors import RejectMessage, TransientError
from shared.kafka.runner import Runner, Subscription
from shared.kafka.serde import encode
from shared.messages import ArticleReceived, ExtractionResult, PlacesExtracted
from shared.topics import ARTICLES_EXTRACTED, ARTICLES_RECEIVED, DLQ_EXTRACTION
from tests.builders import make_article_received
from tests.kafka_helpers import committed, counted, create_topics, produce_raw, read_topic, wait_for

pytestmark = pytest.mark.integration


def forward(calls: list[str] | None = None):
    async def handler(msg: ArticleReceived) -> list[PlacesExtracted]:
        if calls is not None:
            calls.append(msg.payload.id)
        if msg.payload.text == "reject me":
            raise RejectMessage("the test asked for a rejection")
        if msg.payload.text == "crash me":
            raise ValueError("a bug on this message")
        result = ExtractionResult(article_id=msg.payload.id, language="en")
        return [PlacesExtracted.derived_from(msg, producer="extraction", payload=result)]

    return handler


async def start(runner: Runner) -> tuple[asyncio.Event, asyncio.Task]:
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.wait_for(runner.started.wait(), 30)
    return stop, task


def inputs(n: int) -> list[tuple[bytes, bytes]]:
    msgs = [make_article_received(id=f"a-{i}", text=f"report {i}") for i in range(n)]
    return [(m.key.encode(), encode(m)) for m in msgs]


async def test_outputs_are_published_and_offsets_committed(settings_factory):
    settings = settings_factory()
    await create_topics(settings)
    await produce_raw(settings, ARTICLES_RECEIVED, inputs(20))
    runner = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, forward())])
    stop, task = await start(runner)
    out = await read_topic(settings, ARTICLES_EXTRACTED, expect=20)
    await wait_for(lambda: counted(runner, "consumed") == 20)
    stop.set()
    await asyncio.wait_for(task, 30)
    assert sorted(json.loads(r.value)["payload"]["article_id"] for r in out) == sorted(f"a-{i}" for i in range(20))
    assert all(r.key == json.loads(r.value)["correlation_id"].encode() for r in out)
    assert await committed(settings, "extraction", ARTICLES_RECEIVED) == 20


async def test_poison_and_failing_messages_are_dead_lettered_with_reason_and_the_rest_flow(settings_factory):
    settings = settings_factory()
    await create_topics(settings)
    bad = make_article_received(id="a-bad", text="reject me")
    buggy = make_article_received(id="a-bug", text="crash me")
    records = [(b"a-junk", b"\xff\x00 not json"), (bad.key.encode(), encode(bad)),
               (b"a-v9", json.dumps({"event_type": "article.received", "schema_version": 9}).encode()),
               (buggy.key.encode(), encode(buggy)), *inputs(3)]
    await produce_raw(settings, ARTICLES_RECEIVED, records)
    runner = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, forward())])
    stop, task = await start(runner)
    dead = await read_topic(settings, DLQ_EXTRACTION, expect=4)
    out = await read_topic(settings, ARTICLES_EXTRACTED, expect=3)
    stop.set()
    await asyncio.wait_for(task, 30)
    reasons = {r.key: dict(r.headers)["dlq.reason"].decode() for r in dead}
    assert "not valid UTF-8 JSON" in reasons[b"a-junk"]
    assert reasons[b"a-bad"] == "the test asked for a rejection"
    assert "unknown schema_version 9" in reasons[b"a-v9"]
    assert "ValueError: a bug on this message" in reasons[b"a-bug"]
    junk = next(r for r in dead if r.key == b"a-junk")
    headers = dict(junk.headers)
    assert junk.value == b"\xff\x00 not json"  # the original bytes, untouched
    assert headers["dlq.source.topic"].decode().endswith(ARTICLES_RECEIVED.name)
    assert int(headers["dlq.source.offset"]) >= 0 and int(headers["dlq.source.partition"]) >= 0
    assert len(out) == 3


async def test_transient_fault_is_retried_until_it_passes(settings_factory):
    settings = settings_factory(transient_retry_initial_s=0.05)
    await create_topics(settings)
    await produce_raw(settings, ARTICLES_RECEIVED, inputs(1))
    failures = {"left": 3}

    async def flaky(msg: ArticleReceived) -> list[PlacesExtracted]:
        if failures["left"]:
            failures["left"] -= 1
            raise TransientError("database briefly down")
        return await forward()(msg)

    runner = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, flaky)])
    stop, task = await start(runner)
    out = await read_topic(settings, ARTICLES_EXTRACTED, expect=1)
    stop.set()
    await asyncio.wait_for(task, 30)
    assert len(out) == 1 and counted(runner, "errors", kind="transient") == 3 and counted(runner, "dead_lettered") == 0


async def test_persisting_fault_stops_without_commit_and_redelivery_gives_same_ids(settings_factory):
    settings = settings_factory(transient_retry_initial_s=0.05, transient_retry_max_s=0.3)
    await create_topics(settings)
    await produce_raw(settings, ARTICLES_RECEIVED, inputs(2))

    async def down(msg: ArticleReceived) -> list[PlacesExtracted]:
        raise TransientError("database down for good")

    failing = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, down)])
    stop, task = await start(failing)
    with pytest.raises(TransientError):
        await asyncio.wait_for(task, 30)
    assert await committed(settings, "extraction", ARTICLES_RECEIVED) == 0

    first: list[str] = []
    healthy = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, forward(first))])
    stop, task = await start(healthy)
    out = await read_topic(settings, ARTICLES_EXTRACTED, expect=2)
    await wait_for(lambda: counted(healthy, "commits") > 0)
    stop.set()
    await asyncio.wait_for(task, 30)
    assert sorted(first) == ["a-0", "a-1"]  # nothing was lost

    # Processing the same inputs again (a redelivery) yields the very same output ids.
    again = [m async for m in _replay(settings)]
    assert {json.loads(r.value)["event_id"] for r in out} == set(again)


async def _replay(settings):
    for record in await read_topic(settings, ARTICLES_RECEIVED, expect=2):
        msg = ArticleReceived.model_validate_json(record.value)
        for out in await forward()(msg):
            yield out.event_id


async def test_dlq_limit_stops_the_service_instead_of_dead_lettering_everything(settings_factory):
    settings = settings_factory(dlq_max_consecutive=2)
    await create_topics(settings)
    await produce_raw(settings, ARTICLES_RECEIVED, [(b"k", b"junk")] * 5)
    runner = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, forward())])
    stop, task = await start(runner)
    from shared.kafka.errors import DlqLimitExceeded

    with pytest.raises(DlqLimitExceeded):
        await asyncio.wait_for(task, 30)
    assert counted(runner, "dead_lettered") == 3


def forward_batches(calls: list[list[str]], fail_first: int = 0):
    """A batch handler: every message forwarded, like `forward`, in one call; it fails as a whole
    when a message in it would fail (a bug on one message breaks the batch), and raises a
    transient fault on its first `fail_first` calls."""
    left = {"transient": fail_first}

    async def batch_handler(msgs: list[ArticleReceived]) -> list[PlacesExtracted]:
        calls.append([m.payload.id for m in msgs])
        if left["transient"]:
            left["transient"] -= 1
            raise TransientError("database briefly down")
        out = []
        for msg in msgs:
            out.extend(await forward()(msg))
        return out

    return batch_handler


async def test_a_batch_handler_takes_many_records_at_once_and_commits_after_its_outputs(settings_factory):
    settings = settings_factory(transient_retry_initial_s=0.05)
    await create_topics(settings)
    await produce_raw(settings, ARTICLES_RECEIVED, inputs(30))
    calls: list[list[str]] = []
    single: list[str] = []
    runner = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, forward(single),
                                                          batch_handler=forward_batches(calls, fail_first=1))])
    stop, task = await start(runner)
    out = await read_topic(settings, ARTICLES_EXTRACTED, expect=30)
    await wait_for(lambda: counted(runner, "consumed") == 30)
    stop.set()
    await asyncio.wait_for(task, 30)
    ids = sorted(json.loads(r.value)["payload"]["article_id"] for r in out)
    assert ids == sorted(f"a-{i}" for i in range(30))  # each output once: the failed first call sent nothing
    assert single == [] and counted(runner, "errors", kind="transient") == 1
    assert calls[0] == calls[1]  # the transient fault retried the same batch
    assert max(len(c) for c in calls) > 1  # records did come together
    assert await committed(settings, "extraction", ARTICLES_RECEIVED) == 30
    timed = runner.metrics.registry.get_sample_value("dronewatch_processing_seconds_count", {
        "service": "extraction", "topic": settings.kafka_topic_prefix + ARTICLES_RECEIVED.name})
    assert timed == 30  # /metrics times each record once, batch or not


async def test_a_failing_batch_is_handled_again_one_by_one_and_only_the_bad_record_is_dead_lettered(
        settings_factory):
    settings = settings_factory()
    await create_topics(settings)
    buggy = make_article_received(id="a-bug", text="crash me")
    records = [*inputs(5), (b"a-junk", b"\xff not json"), (buggy.key.encode(), encode(buggy))]
    await produce_raw(settings, ARTICLES_RECEIVED, records)
    calls: list[list[str]] = []
    single: list[str] = []
    runner = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, forward(single),
                                                          batch_handler=forward_batches(calls))])
    stop, task = await start(runner)
    dead = await read_topic(settings, DLQ_EXTRACTION, expect=2)
    out = await read_topic(settings, ARTICLES_EXTRACTED, expect=5)
    await wait_for(lambda: counted(runner, "consumed") == 7)
    stop.set()
    await asyncio.wait_for(task, 30)
    reasons = {r.key: dict(r.headers)["dlq.reason"].decode() for r in dead}
    assert reasons.keys() == {b"a-junk", b"a-bug"}
    assert "ValueError: a bug on this message" in reasons[b"a-bug"]
    assert "not valid UTF-8 JSON" in reasons[b"a-junk"]  # never reached a handler
    assert sorted(json.loads(r.value)["payload"]["article_id"] for r in out) == [f"a-{i}" for i in range(5)]
    assert "a-bug" in single  # the per-record handler isolated it
    assert all("a-junk" not in c for c in calls)
    assert await committed(settings, "extraction", ARTICLES_RECEIVED) == 7


async def test_a_committed_offset_past_the_end_of_the_partition_is_rewound_not_waited_on(settings_factory):
    """After the in-memory broker restarts, a group's committed offsets (or a live consumer's
    positions) can lie past the end of the re-created partitions; the broker answers such a fetch
    with nothing, so the runner must rewind instead of waiting there for ever."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from shared.kafka.clients import topic_name

    settings = settings_factory()
    await create_topics(settings)
    await produce_raw(settings, ARTICLES_RECEIVED, inputs(12))
    name = topic_name(settings, ARTICLES_RECEIVED)
    stale = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                             group_id=f"{settings.kafka_topic_prefix}extraction")
    await stale.start()
    try:  # as left by consumers of the partitions before the broker lost them
        parts = [TopicPartition(name, p) for p in range(ARTICLES_RECEIVED.partitions)]
        stale.assign(parts)
        await stale.commit(dict.fromkeys(parts, 500))
    finally:
        await stale.stop()
    calls: list[str] = []
    runner = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, forward(calls))])
    stop, task = await start(runner)
    await wait_for(lambda: len(set(calls)) == 12, timeout_s=30)
    stop.set()
    await asyncio.wait_for(task, 30)
    assert sorted(set(calls)) == sorted(f"a-{i}" for i in range(12))
