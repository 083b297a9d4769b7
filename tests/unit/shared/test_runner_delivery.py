"""How the runner hands a fetched batch's outputs to the producer, with the Kafka clients faked:
every record of the batch is handled first, then the outputs go out together in record order, and
the input offsets are committed only once the broker has acknowledged every output."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition

from shared.config import BaseServiceSettings
from shared.kafka import runner as runner_module
from shared.kafka.runner import Runner, Subscription
from shared.kafka.serde import decode, encode
from shared.messages import ArticleReceived, ExtractionResult, PlacesExtracted
from shared.topics import ARTICLES_EXTRACTED, ARTICLES_RECEIVED
from tests.builders import make_article_received


class FakeConsumer:
    """Hands out one batch, then nothing; records commits."""

    def __init__(self, batch: dict[TopicPartition, list[Any]]) -> None:
        self.batches = [batch]
        self.commits: list[dict[TopicPartition, int]] = []

    def subscribe(self, topics: Sequence[str], listener: Any = None) -> None:
        self.topics = list(topics)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[Any]]:
        if self.batches:
            return self.batches.pop(0)
        await asyncio.sleep(0.01)
        return {}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))

    def assignment(self) -> set[TopicPartition]:
        return set()


class FakeProducer:
    """Records each send with what the handler had seen by then; acknowledges when told to."""

    def __init__(self, handled: list[str]) -> None:
        self.handled = handled
        self.sent: list[tuple[str, bytes, list[str]]] = []
        self.acks: list[asyncio.Future[None]] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, topic: str, value: bytes, key: bytes | None = None,
                   headers: Any = None) -> asyncio.Future[None]:
        self.sent.append((topic, value, list(self.handled)))
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack


def record(topic: str, partition: int, offset: int, message: ArticleReceived) -> SimpleNamespace:
    return SimpleNamespace(topic=topic, partition=partition, offset=offset, key=message.key.encode(),
                           value=encode(message), headers=[])


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    settings = BaseServiceSettings(_env_file=None, kafka_topic_prefix="t.", kafka_commit_every_s=0.0)
    topic = f"t.{ARTICLES_RECEIVED.name}"
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 3)
    messages = [make_article_received(id=f"a-{i}", text=f"report {i}") for i in range(5)]
    batch = {first: [record(topic, 0, 10 + i, m) for i, m in enumerate(messages[:3])],
             second: [record(topic, 3, 40 + i, m) for i, m in enumerate(messages[3:])]}
    handled: list[str] = []
    consumer, producer = FakeConsumer(batch), FakeProducer(handled)
    monkeypatch.setattr(runner_module, "make_consumer", lambda *_: consumer)
    monkeypatch.setattr(runner_module, "make_producer", lambda *_: producer)

    async def handler(msg: ArticleReceived) -> list[PlacesExtracted]:
        handled.append(msg.payload.id)
        result = ExtractionResult(article_id=msg.payload.id, language="en")
        return [PlacesExtracted.derived_from(msg, producer="extraction", payload=result)]

    runner = Runner(settings, "extraction", [Subscription(ARTICLES_RECEIVED, handler)])
    return SimpleNamespace(runner=runner, consumer=consumer, producer=producer, handled=handled,
                           first=first, second=second, out_topic=f"t.{ARTICLES_EXTRACTED.name}")


async def until(condition: Any, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.005)


async def test_a_batch_outputs_leave_together_in_record_order_after_every_record_is_handled(wired):
    stop = asyncio.Event()
    task = asyncio.create_task(wired.runner.run(stop))
    await until(lambda: len(wired.producer.sent) == 5)
    for ack in wired.producer.acks:
        ack.set_result(None)
    stop.set()
    await asyncio.wait_for(task, 5)

    assert [topic for topic, _, _ in wired.producer.sent] == [wired.out_topic] * 5
    sent_ids = [decode(ARTICLES_EXTRACTED, value).payload.article_id for _, value, _ in wired.producer.sent]
    assert sent_ids == wired.handled == [f"a-{i}" for i in range(5)]
    assert all(seen == wired.handled for _, _, seen in wired.producer.sent)


async def test_input_offsets_are_committed_only_once_every_output_is_acknowledged(wired):
    stop = asyncio.Event()
    task = asyncio.create_task(wired.runner.run(stop))
    await until(lambda: len(wired.producer.sent) == 5)
    for ack in wired.producer.acks[:4]:
        ack.set_result(None)
    await asyncio.sleep(0.1)
    assert wired.consumer.commits == []  # one output still unacknowledged

    wired.producer.acks[4].set_result(None)
    await until(lambda: wired.consumer.commits != [])
    stop.set()
    await asyncio.wait_for(task, 5)
    assert wired.consumer.commits[0] == {wired.first: 13, wired.second: 42}


async def test_an_output_the_broker_refuses_stops_the_runner_without_committing(wired):
    stop = asyncio.Event()
    task = asyncio.create_task(wired.runner.run(stop))
    await until(lambda: len(wired.producer.sent) == 5)
    wired.producer.acks[0].set_exception(ConnectionError("broker gone"))
    for ack in wired.producer.acks[1:]:
        ack.set_result(None)
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(task, 5)
    assert wired.consumer.commits == []


async def test_a_commit_for_partitions_no_longer_assigned_is_dropped_not_fatal(wired):
    """A worker that stalled past its session timeout wakes with offsets of partitions its group
    has given to another member; aiokafka refuses to commit them. The new owner re-reads them."""
    from aiokafka.errors import IllegalStateError

    refused: list[dict[TopicPartition, int]] = []

    async def commit(offsets: dict[TopicPartition, int]) -> None:
        refused.append(dict(offsets))
        raise IllegalStateError(f"Partition {wired.first} is not assigned")

    wired.consumer.commit = commit
    stop = asyncio.Event()
    task = asyncio.create_task(wired.runner.run(stop))
    await until(lambda: len(wired.producer.sent) == 5)
    for ack in wired.producer.acks:
        ack.set_result(None)
    await until(lambda: refused != [])
    await asyncio.sleep(0.05)
    assert not task.done(), "the runner must go on"
    stop.set()
    await asyncio.wait_for(task, 5)
    assert refused[0] == {wired.first: 13, wired.second: 42}
