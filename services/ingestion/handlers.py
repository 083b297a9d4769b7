"""Ingestion's core: turn a valid request into an ArticleReceived message, remember it in the
outbox, publish it. No HTTP here."""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from services.ingestion.schemas import ArticleIn
from shared.messages import Article, ArticleReceived, ArticleStored, Message, SourceContext

log = logging.getLogger(__name__)
PRODUCER = "ingestion"


class Publisher(Protocol):
    async def publish_many(self, messages: Sequence[Message], timeout_s: float | None = None) -> None: ...


class Outbox(Protocol):
    async def add(self, message: ArticleReceived) -> tuple[str, ArticleReceived | None]: ...
    async def add_many(self, messages: Sequence[ArticleReceived]) -> list[tuple[str, ArticleReceived | None]]: ...
    async def known_hashes(self, hashes: Iterable[str]) -> set[str]: ...
    async def mark_published_many(self, published: Sequence[tuple[str, int]]) -> None: ...
    async def due(self, older_than_s: float, limit: int = 500) -> list[ArticleReceived]: ...
    async def give_up(self, article_id: str, version: int) -> bool: ...
    async def mark_stored_many(self, receipts: Sequence[tuple[str, int]]) -> int: ...
    async def withdraw_many(self, article_ids: Sequence[str]) -> list[ArticleReceived]: ...
    async def recent_texts(self, since: datetime, limit: int) -> list[tuple[str, str]]: ...


def content_hash(text: str) -> str:
    """sha256 of the text with whitespace collapsed and case folded: the same report pasted twice
    with different line breaks is one report."""
    normal = re.sub(r"\s+", " ", text).strip().casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def to_message(body: ArticleIn, *, origin: str = "http", context: SourceContext | None = None) -> ArticleReceived:
    """Raises ValueError for a body without text (complete it from its page first)."""
    if body.text is None:
        raise ValueError("a report needs its text to become a message")
    digest = content_hash(body.text)
    published = body.published_at
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    article = Article(
        id=body.id or f"sha256-{digest[:24]}", text=body.text, title=body.title, url=body.url, source=body.source,
        published_at=published, language=body.language, received_at=datetime.now(UTC), content_hash=digest,
        origin=origin, source_context=context,
    )
    return ArticleReceived.create(producer=PRODUCER, correlation_id=article.id, payload=article)


async def accept(message: ArticleReceived, *, outbox: Outbox, publisher: Publisher) -> tuple[str, bool]:
    """Returns (id, is_new). A new report, or a new version of one (same id, different text), is
    stored in the outbox first, then published; if the broker does not take it now, the relay
    publishes it later, so it is accepted either way. Same id and same text, or a text already
    accepted under another id, is a duplicate."""
    [(article_id, new)] = await accept_many([message], outbox=outbox, publisher=publisher)
    return article_id, new


async def accept_many(messages: Sequence[ArticleReceived], *, outbox: Outbox,
                      publisher: Publisher) -> list[tuple[str, bool]]:
    """`accept` for many reports at once: one outbox transaction, one publication of the new ones
    (waiting for the broker's acknowledgements together), one update marking them published.
    Judged in order, so a text repeated within the batch is a duplicate of its first occurrence."""
    results = await outbox.add_many(messages)
    await _publish([m for _, m in results if m is not None], outbox=outbox, publisher=publisher)
    return [(article_id, m is not None) for article_id, m in results]


async def withdraw_many(article_ids: Sequence[str], *, outbox: Outbox, publisher: Publisher) -> list[str]:
    """The source withdrew these reports (deleted posts): each known one's next version, withdrawn,
    is kept in the outbox and published like an edit, so the store marks it retracted and its
    events go. Returns the ids withdrawn now (those unknown, or withdrawn before, are left out)."""
    kept = await outbox.withdraw_many(article_ids)
    await _publish(kept, outbox=outbox, publisher=publisher)
    return [m.payload.id for m in kept]


async def _publish(kept: Sequence[ArticleReceived], *, outbox: Outbox, publisher: Publisher) -> None:
    if not kept:
        return
    try:
        await publisher.publish_many(list(kept), timeout_s=5.0)
        await outbox.mark_published_many([(m.payload.id, m.payload.version) for m in kept])
    except Exception as err:  # noqa: BLE001 - the relay retries; the reports are safe in the outbox
        log.warning("publish deferred to the relay", extra={"article_ids": [m.payload.id for m in kept][:20],
                                                            "count": len(kept), "error": repr(err)})


async def relay_once(*, outbox: Outbox, publisher: Publisher, older_than_s: float) -> int:
    """Publish what the outbox holds unpublished, and re-publish what was published but whose
    receipt from storage is overdue (the broker may have lost it: a restart of an in-memory broker,
    a lost topic). A version published the outbox's maximum number of times without a receipt is
    given up on and logged as an error instead. Returns how many went out. Storage's idempotence
    absorbs the repeats."""
    pending = await outbox.due(older_than_s)
    out = []
    for m in pending:
        if await outbox.give_up(m.payload.id, m.payload.version):
            log.error("report never stored after the maximum number of publications; giving up on it",
                      extra={"article_id": m.payload.id, "version": m.payload.version})
        else:
            out.append(m)
    if out:
        await publisher.publish_many(out)
        await outbox.mark_published_many([(m.payload.id, m.payload.version) for m in out])
        log.info("relay (re)published reports", extra={"count": len(out)})
    return len(out)


async def handle_article_stored(msg: ArticleStored, *, outbox: Outbox) -> list[Message]:
    """Storage's receipt: the pipeline is done with this version; retire it from the outbox.
    Idempotent."""
    return await handle_articles_stored([msg], outbox=outbox)


async def handle_articles_stored(msgs: Sequence[ArticleStored], *, outbox: Outbox) -> list[Message]:
    """A consumer batch of receipts, retired in one transaction (the runner's batch handler)."""
    await outbox.mark_stored_many([(m.payload.article_id, m.payload.version) for m in msgs])
    return []
