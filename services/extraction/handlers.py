"""Extraction's handler: one received article in, its incidents and place mentions out."""
from __future__ import annotations

import asyncio

from services.extraction.ports import ArticleExtractor
from shared.kafka.errors import RejectMessage
from shared.messages import ArticleReceived, PlacesExtracted

PRODUCER = "extraction"


async def handle_article_received(msg: ArticleReceived, *, extractor: ArticleExtractor) -> list[PlacesExtracted]:
    """Idempotent: the output's id derives from the input's, and the extractor is deterministic.
    CPU work runs in a thread so the consumer keeps heartbeating."""
    article = msg.payload
    if not article.text.strip():
        raise RejectMessage("article text is empty")
    result = await asyncio.to_thread(
        extractor.extract, article_id=article.id, text=article.text, title=article.title,
        language=article.language, published_at=article.published_at, source=article.source,
    )
    return [PlacesExtracted.derived_from(msg, producer=PRODUCER, payload=result)]
