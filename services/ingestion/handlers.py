"""Ingestion's core: turn a valid request into an ArticleReceived message, remember it in the
outbox, publish it. No HTTP here."""
from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime
from typing import Protocol

from services.ingestion.schemas import ArticleIn
from shared.messages import Article, ArticleReceived, Message

log = logging.getLogger(__name__)
PRODUCER = "ingestion"


class Publisher(Protocol):
    async def publish_many(self, messages: list[Message], timeout_s: float | None = None) -> None: ...


class Outbox(Protocol):
    async def add(self, message: ArticleReceived) -> str | None: ...
    async def mark_published(self, article_id: str) -> None: ...
    async def unpublished(self, older_than_s: float, limit: int = 500) -> list[ArticleReceived]: ...


def content_hash(text: str) -> str:
    """sha256 of the text with whitespace collapsed and case folded: the same report pasted twice
    with different line breaks is one report."""
    normal = re.sub(r"\s+", " ", text).strip().casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def to_message(body: ArticleIn, *, origin: str = "http") -> ArticleReceived:
    digest = content_hash(body.text)
    published = body.published_at
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    article = Article(
        id=body.id or f"sha256-{digest[:24]}", text=body.text, title=body.title, url=body.url, source=body.source,
        published_at=published, language=body.language, received_at=datetime.now(UTC), content_hash=digest,
        origin=origin,
    )
    return ArticleReceived.create(producer=PRODUCER, correlation_id=article.id, payload=article)


async def accept(message: ArticleReceived, *, outbox: Outbox, publisher: Publisher) -> tuple[str, bool]:
    """Returns (id, is_new). A new report is stored in the outbox first, then published; if the
    broker does not take it now, the relay publishes it later, so it is accepted either way."""
    duplicate_of = await outbox.add(message)
    if duplicate_of is not None:
        return duplicate_of, False
    try:
        await publisher.publish_many([message], timeout_s=5.0)
        await outbox.mark_published(message.payload.id)
    except Exception as err:  # noqa: BLE001 - the relay retries; the report is safe in the outbox
        log.warning("publish deferred to the relay", extra={"article_id": message.payload.id, "error": repr(err)})
    return message.payload.id, True


async def relay_once(*, outbox: Outbox, publisher: Publisher, older_than_s: float) -> int:
    """Publish what the outbox holds unpublished. Returns how many went out."""
    pending = await outbox.unpublished(older_than_s)
    if pending:
        await publisher.publish_many(list(pending))
        for m in pending:
            await outbox.mark_published(m.payload.id)
        log.info("relay published deferred reports", extra={"count": len(pending)})
    return len(pending)
