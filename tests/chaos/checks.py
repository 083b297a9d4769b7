"""What the soak verifies once the load has stopped and the stack has drained: the store (read
directly, not through the gateway), ingestion's outbox, every consumer group's lag, and memory.

Consumer groups come from the topic catalogue (each topic's `consumers`), and the duplicate check
from `NATURAL_KEYS`, so a new service or table is checked once it is declared there."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import create_engine, func, inspect, select, text

from shared.config import BaseServiceSettings
from shared.kafka.clients import connection_options, topic_name
from shared.store.tables import articles, events
from shared.topics import ALL_TOPICS
from tests.chaos.load import Expected

# A row that repeats another row's natural key is a duplicate (stored twice under two ids).
# Tables not in the store yet are skipped; add a table here when a service starts writing one.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "events": ("article_id", "type", "weapon", "count", "killed", "injured", "admin1_code", "admin2", "lat", "lon"),
}


@dataclass
class StoreOutcome:
    expected: int
    processed: int = 0
    missing: list[str] = field(default_factory=list)  # accepted, not in the store
    not_processed: dict[str, str] = field(default_factory=dict)  # id -> status (pending, failed)
    wrong_events: dict[str, str] = field(default_factory=dict)  # id -> what the store has instead
    duplicates: dict[str, int] = field(default_factory=dict)  # table -> rows repeating a natural key
    poison_failed: int = 0  # poison records that ended as failed articles (dead-lettered)
    # The incidents service's state (when its tables share the store's database): stored events that
    # no active incident claims, or that more than one claims, and active claims of events no longer stored.
    unclaimed: int = 0
    claimed_twice: int = 0
    stale_claims: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.not_processed or self.wrong_events or any(self.duplicates.values())
                    or self.unclaimed or self.claimed_twice or self.stale_claims)


ACTIVE_CLAIMS = ("SELECT c.event_id FROM incstate_claims c JOIN incstate_incidents i ON i.id = c.incident_id "
                 "WHERE i.status = 'active'")


def incident_claims(conn: Any, out: StoreOutcome) -> None:
    """Every stored event is claimed by exactly one active incident, and no active incident claims
    an event the store no longer has (two workers must never make two incidents of one event)."""
    out.unclaimed = conn.execute(text(
        f"SELECT count(*) FROM events e WHERE e.id NOT IN ({ACTIVE_CLAIMS})")).scalar_one()
    out.claimed_twice = conn.execute(text(
        f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM ({ACTIVE_CLAIMS}) AS a "
        "GROUP BY event_id HAVING count(*) > 1) AS d")).scalar_one()
    out.stale_claims = conn.execute(text(
        f"SELECT count(*) FROM ({ACTIVE_CLAIMS}) AS a WHERE a.event_id NOT IN (SELECT id FROM events)")).scalar_one()


def store_outcome(db_url: str, expected: dict[str, Expected], accepted: set[str]) -> StoreOutcome:
    """Every accepted report stored once, `processed`, with exactly the one event it describes;
    no row of any NATURAL_KEYS table repeating another's natural key."""
    out = StoreOutcome(expected=len(accepted))
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            status = dict(conn.execute(select(articles.c.id, articles.c.status)).all())
            found: dict[str, list[tuple]] = {}
            for row in conn.execute(select(events.c.article_id, events.c.type, events.c["count"],
                                           events.c.admin1_code)):
                found.setdefault(row[0], []).append(tuple(row[1:]))
            tables = set(inspect(conn).get_table_names())
            for table, key in NATURAL_KEYS.items():
                if table in tables:
                    cols = ", ".join(f'"{c}"' for c in key)
                    out.duplicates[table] = conn.execute(text(
                        f'SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM "{table}" '
                        f"GROUP BY {cols} HAVING count(*) > 1) AS d")).scalar_one()
            if "incstate_claims" in tables:
                incident_claims(conn, out)
            out.poison_failed = conn.execute(select(func.count()).where(
                articles.c.id.like("chaos-poison-%"), articles.c.status == "failed")).scalar_one()
    finally:
        engine.dispose()
    for article_id in sorted(accepted):
        if article_id not in status:
            out.missing.append(article_id)
            continue
        if status[article_id] != "processed":
            out.not_processed[article_id] = status[article_id]
            continue
        out.processed += 1
        want = expected[article_id]
        got = found.get(article_id, [])
        if got != [("interception", want.count, want.admin1)]:
            out.wrong_events[article_id] = f"expected interception {want.count} in {want.admin1}, stored {got}"
    return out


def outbox_state(ingest: str) -> dict[str, int]:
    """Ingestion's outbox counts (pending, unpublished, overdue, gave_up) from its /readyz."""
    body = httpx.get(f"{ingest}/readyz", timeout=10).json()
    return body.get("outbox") or {}


def consumer_groups() -> dict[str, list[str]]:
    """group (service) -> the catalogue topics it consumes."""
    groups: dict[str, list[str]] = {}
    for topic in ALL_TOPICS:
        for consumer in topic.consumers:
            groups.setdefault(consumer, []).append(topic.name)
    return groups


async def consumer_lag(settings: BaseServiceSettings, timeout_s: float = 10.0,
                       detail: dict[str, str] | None = None) -> dict[str, int]:
    """'group topic' -> high watermark minus committed offset, summed over the topic's partitions (a
    partition the group never committed on counts from 0). The high watermark is read from fetch
    answers: the local broker's ListOffsets (`end_offsets`) answers one past the first offset of a
    partition's last record batch, not its end (docs/operations.md, "The local broker")."""
    prefix = settings.kafka_topic_prefix
    admin = AIOKafkaAdminClient(**connection_options(settings))
    consumer = AIOKafkaConsumer(**connection_options(settings), enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        await consumer.topics()  # fetches every topic's metadata: the partitions as they are now
        parts: dict[str, list[TopicPartition]] = {}
        for topic in ALL_TOPICS:
            name = topic_name(settings, topic)
            numbers = consumer.partitions_for_topic(name) or range(topic.partitions)
            parts[topic.name] = [TopicPartition(name, p) for p in sorted(numbers)]
        every = [tp for tps in parts.values() for tp in tps]
        consumer.assign(every)
        await consumer.seek_to_end(*every)  # near the end, so the fetches that bring the watermark are small
        high: dict[TopicPartition, int] = {}
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(high) < len(every):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no high watermark for {sorted(set(map(str, every)) - set(map(str, high)))}")
            await consumer.getmany(timeout_ms=200)
            high.update({tp: hw for tp in every if (hw := consumer.highwater(tp)) is not None})
        lag: dict[str, int] = {}
        for group, topics in consumer_groups().items():
            tps = [tp for t in topics for tp in parts[t]]
            committed = await admin.list_consumer_group_offsets(f"{prefix}{group}", partitions=tps)
            for t in topics:
                lag[f"{group} {t}"] = sum(high[tp] - max(committed[tp].offset if tp in committed else 0, 0)
                                          for tp in parts[t])
                if detail is not None:
                    detail[f"{group} {t}"] = " ".join(
                        f"{tp.partition}:{committed[tp].offset if tp in committed else None}/{high[tp]}"
                        for tp in parts[t])
        return lag
    finally:
        await consumer.stop()
        await admin.close()


def lag_now(settings: BaseServiceSettings, detail: dict[str, str] | None = None) -> dict[str, int]:
    """`consumer_lag`; `detail` receives 'partition:committed/high watermark' per group and topic."""
    return asyncio.run(asyncio.wait_for(consumer_lag(settings, detail=detail), 30))
