"""Storage's handlers: each writes one message's content to the store (the `_many` ones a whole
consumer batch of a topic, in one transaction; the runner falls back to the single ones to isolate
a record that fails). Once the pipeline is done with a version of an article (its events stored,
or a stage gave up on it), storage publishes a receipt (ArticleStored) that ingestion uses to
retire the report from its outbox; the runner publishes it only after the write is committed."""
from __future__ import annotations

import json

from services.storage.ports import IncidentStore
from shared.kafka.dlq import DeadLetter
from shared.messages import (
    ArticleReceived,
    ArticleStored,
    EventsGeocoded,
    IncidentUpdated,
    Message,
    StoredArticle,
    derived_id,
)

PRODUCER = "storage"


async def handle_article_received(msg: ArticleReceived, *, store: IncidentStore) -> list[Message]:
    await store.record_received(msg.payload)
    return []


async def handle_articles_received(msgs: list[ArticleReceived], *, store: IncidentStore) -> list[Message]:
    """A consumer batch of accepted articles, written in one transaction."""
    await store.record_received_many([m.payload for m in msgs])
    return []


async def handle_events_geocoded(msg: EventsGeocoded, *, store: IncidentStore) -> list[ArticleStored]:
    return _receipts([msg], [await store.record_geocoded(msg.payload)])


async def handle_events_geocoded_many(msgs: list[EventsGeocoded], *, store: IncidentStore) -> list[ArticleStored]:
    """A consumer batch of event sets, written in one transaction; a receipt for each."""
    return _receipts(msgs, await store.record_geocoded_many([m.payload for m in msgs]))


async def handle_incident_updated(msg: IncidentUpdated, *, store: IncidentStore) -> list[Message]:
    await store.record_incidents([msg.payload])
    return []


async def handle_incidents_updated(msgs: list[IncidentUpdated], *, store: IncidentStore) -> list[Message]:
    """A consumer batch of incident states, written in one transaction; the highest version of each
    id wins, against the batch and the store (no receipt: nothing upstream waits for one)."""
    await store.record_incidents([m.payload for m in msgs])
    return []


def _receipts(msgs: list[EventsGeocoded], versions: list[int]) -> list[ArticleStored]:
    out = []
    for msg, version in zip(msgs, versions, strict=True):
        result = msg.payload
        receipt = StoredArticle(article_id=result.article_id, version=version, status="processed",
                                event_count=len(result.events))
        out.append(ArticleStored.derived_from(msg, producer=PRODUCER, payload=receipt))
    return out


async def handle_dead_letter(letter: DeadLetter, *, store: IncidentStore) -> list[ArticleStored]:
    """A stage gave up on an article: show it as failed, with the stage and the reason."""
    if not letter.key:
        return []
    stage = letter.headers.get("dlq.service", "pipeline")
    version = await store.record_failed(letter.key, f"{stage}: {letter.reason}", version_of(letter.value))
    receipt = StoredArticle(article_id=letter.key, version=version, status="failed")
    event_id = derived_id(letter.source, PRODUCER, ArticleStored.EVENT_TYPE)
    return [ArticleStored.create(producer=PRODUCER, correlation_id=letter.key, payload=receipt, event_id=event_id)]


def version_of(value: bytes | None) -> int:
    """The report version a dead-lettered message was about, if its bytes still say (1 if not)."""
    try:
        version = json.loads(value or b"")["payload"]["version"]
    except (ValueError, TypeError, KeyError):
        return 1
    return version if isinstance(version, int) and version >= 1 else 1
