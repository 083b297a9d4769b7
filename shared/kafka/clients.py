"""Building aiokafka clients from settings, and creating topics from the catalogue."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.config import BaseServiceSettings
from shared.topics import Topic

log = logging.getLogger(__name__)


def topic_name(settings: BaseServiceSettings, topic: Topic) -> str:
    return f"{settings.kafka_topic_prefix}{topic.name}"


def connection_options(settings: BaseServiceSettings) -> dict[str, object]:
    """Bootstrap servers, timeouts and security settings every client shares."""
    out: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "request_timeout_ms": settings.kafka_request_timeout_ms,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_sasl_mechanism:
        out["sasl_mechanism"] = settings.kafka_sasl_mechanism
        out["sasl_plain_username"] = settings.kafka_sasl_username
        out["sasl_plain_password"] = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        )
    return out


def make_producer(settings: BaseServiceSettings, service: str) -> AIOKafkaProducer:
    # Idempotence stays off: the local broker cannot do it with aiokafka 0.14 (see README);
    # duplicates from producer retries are absorbed by deterministic ids downstream.
    return AIOKafkaProducer(
        client_id=f"{settings.kafka_client_id_prefix}-{service}",
        acks="all",
        linger_ms=settings.kafka_linger_ms,
        max_batch_size=settings.kafka_producer_batch_bytes,
        compression_type=None if settings.kafka_compression == "none" else settings.kafka_compression,
        enable_idempotence=False,
        **connection_options(settings),
    )


def make_consumer(settings: BaseServiceSettings, service: str) -> AIOKafkaConsumer:
    """A group consumer (group = topic prefix + service name) that never auto-commits; the runner
    subscribes it."""
    return _consumer(settings, service, group=f"{settings.kafka_topic_prefix}{service}", from_beginning=True)


def make_reader(settings: BaseServiceSettings, client: str, *, group: str | None = None,
                from_beginning: bool = True) -> AIOKafkaConsumer:
    """A consumer for a reader outside the runner (`dronewatch subscribe`, a live feed), with the
    same connection, security and timeout settings as the services' consumers. Without `group` it
    joins no group: the caller assigns partitions and nothing is committed. With one it joins that
    group, named as given, and commits only when the caller asks. `from_beginning` picks where a
    reader without a committed position starts: the oldest record kept, or the next one written."""
    return _consumer(settings, client, group=group, from_beginning=from_beginning)


def _consumer(settings: BaseServiceSettings, client: str, *, group: str | None,
              from_beginning: bool) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        client_id=f"{settings.kafka_client_id_prefix}-{client}",
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_interval_ms=settings.kafka_max_poll_interval_ms,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        **connection_options(settings),
    )


async def ensure_topics(settings: BaseServiceSettings, topics: Iterable[Topic], timeout_s: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet, with the catalogue's partitions and configs.
    Idempotent. Returns the names created."""
    admin = AIOKafkaAdminClient(client_id=f"{settings.kafka_client_id_prefix}-admin", **connection_options(settings))
    await asyncio.wait_for(admin.start(), timeout_s)
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in topics if topic_name(settings, t) not in existing]
        if not wanted:
            return []
        new = [
            NewTopic(topic_name(settings, t), t.partitions, settings.kafka_replication_factor,
                     topic_configs=t.topic_configs)
            for t in wanted
        ]
        response = await asyncio.wait_for(admin.create_topics(new), timeout_s)
        for name, code, *_ in getattr(response, "topic_errors", []):
            if code not in (0, 36):  # 36: already exists (a racing creator)
                raise RuntimeError(f"creating topic {name} failed with error code {code}")
        created = [topic_name(settings, t) for t in wanted]
        log.info("topics created", extra={"topics": created})
        return created
    finally:
        await admin.close()
