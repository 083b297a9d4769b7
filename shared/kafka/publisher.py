"""KafkaPublisher: publishing typed messages from code that is not a consumer (the ingestion API,
importers). Each message goes to the topic the catalogue gives its type, keyed by its
correlation id; `publish` returns once the broker has acknowledged it."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.config import BaseServiceSettings
from shared.kafka.clients import make_producer, topic_name
from shared.kafka.serde import encode, headers_for
from shared.messages import Message
from shared.topics import topic_for_model


class KafkaPublisher:
    def __init__(self, settings: BaseServiceSettings, service: str) -> None:
        self.settings = settings
        self.producer = make_producer(settings, service)
        self.started = False

    async def start(self) -> None:
        await self.producer.start()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            await self.producer.stop()
            self.started = False

    async def publish(self, message: Message, timeout_s: float | None = None) -> None:
        await self.publish_many([message], timeout_s)

    async def publish_many(self, messages: Sequence[Message], timeout_s: float | None = None) -> None:
        """Send all, then wait for every acknowledgement. Raises if any was not taken."""
        futures = []
        for m in messages:
            topic = topic_name(self.settings, topic_for_model(type(m)))
            futures.append(await self.producer.send(topic, encode(m), key=m.key.encode(), headers=headers_for(m)))
        timeout = timeout_s or self.settings.kafka_request_timeout_ms / 1000
        await asyncio.wait_for(asyncio.gather(*futures), timeout)
