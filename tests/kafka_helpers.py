"""Test-side Kafka helpers: write raw records into a topic and read a topic back, bypassing the
services, so tests can inject poison and inspect exactly what was published."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.config import BaseServiceSettings
from shared.kafka.clients import ensure_topics, topic_name
from shared.topics import ALL_TOPICS, Topic


async def create_topics(settings: BaseServiceSettings) -> None:
    await ensure_topics(settings, ALL_TOPICS)


async def produce_raw(
    settings: BaseServiceSettings, topic: Topic, records: list[tuple[bytes | None, bytes | None]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic_name(settings, topic), value, key=key)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def _from_beginning(settings: BaseServiceSettings, topic: Topic) -> AsyncIterator[
        tuple[AIOKafkaConsumer, list[TopicPartition]]]:
    """A consumer (no group) on every partition of `topic`, at the beginning."""
    name = topic_name(settings, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(name, p) for p in range(topic.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        yield consumer, parts
    finally:
        await consumer.stop()


async def read_topic(settings: BaseServiceSettings, topic: Topic, expect: int, timeout_s: float = 20.0) -> list[Any]:
    """Read every record of `topic` from the beginning (no group) until `expect` arrived or the
    timeout passed; then a short grace period to catch extras."""
    async with _from_beginning(settings, topic) as (consumer, _parts):
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        grace_until = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            if len(records) >= expect:
                grace_until = grace_until or time.monotonic() + 0.5
                if time.monotonic() >= grace_until:
                    break
        return records


async def read_to_end(settings: BaseServiceSettings, topic: Topic, timeout_s: float = 30.0) -> list[Any]:
    """Every record of `topic` up to its end offsets as they stand now (no group): a complete read
    however long the topic or slow the machine, unlike a read for a fixed time."""
    async with _from_beginning(settings, topic) as (consumer, parts):
        ends = await consumer.end_offsets(parts)
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic.name}: not read to its end in {timeout_s} s")
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
        return records


async def committed(settings: BaseServiceSettings, group: str, topic: Topic) -> int:
    """Sum of the group's committed offsets over the topic's partitions."""
    name = topic_name(settings, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                group_id=f"{settings.kafka_topic_prefix}{group}", enable_auto_commit=False)
    await consumer.start()
    try:
        total = 0
        for p in range(topic.partitions):
            total += (await consumer.committed(TopicPartition(name, p))) or 0
        return total
    finally:
        await consumer.stop()


async def wait_for(predicate, timeout_s: float = 20.0, interval_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(interval_s)
    raise TimeoutError("condition not met in time")


def counted(runner: Any, counter: str, **labels: str) -> float:
    """What `runner` counted in its metrics (`consumed`, `produced`, `dead_lettered`, `commits`,
    `errors` with kind=...), summed over topics."""
    return runner.metrics.total(getattr(runner.metrics, counter), **labels)
