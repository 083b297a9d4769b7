"""Storage's handlers: each writes one message's content to the store and publishes nothing."""
from __future__ import annotations

from services.storage.ports import IncidentStore
from shared.kafka.runner import DeadLetter
from shared.messages import ArticleReceived, EventsGeocoded, Message


async def handle_article_received(msg: ArticleReceived, *, store: IncidentStore) -> list[Message]:
    await store.record_received(msg.payload)
    return []


async def handle_events_geocoded(msg: EventsGeocoded, *, store: IncidentStore) -> list[Message]:
    await store.record_geocoded(msg.payload)
    return []


async def handle_dead_letter(letter: DeadLetter, *, store: IncidentStore) -> list[Message]:
    """A stage gave up on an article: show it as failed, with the stage and the reason."""
    if letter.key:
        stage = letter.headers.get("dlq.service", "pipeline")
        await store.record_failed(letter.key, f"{stage}: {letter.reason}")
    return []
