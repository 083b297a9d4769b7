"""Extraction's handler: one received article in, its incidents and place mentions out."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import get_args

from services.extraction.context import extract_in_context
from services.extraction.ports import ArticleExtractor, RegionNames
from shared.kafka.errors import RejectMessage
from shared.messages import Article, ArticleReceived, ExtractionResult, PlacesExtracted
from shared.messages.articles import Language

PRODUCER = "extraction"
READABLE = frozenset(get_args(Language))  # the languages extraction has grammars for


async def handle_article_received(msg: ArticleReceived, *, extractor: ArticleExtractor,
                                  region_names: RegionNames | None = None) -> list[PlacesExtracted]:
    """Idempotent: the output's id derives from the input's, and the extractor is deterministic.
    CPU work runs in a thread so the consumer keeps heartbeating. Raises RejectMessage for an
    empty text."""
    return [await asyncio.to_thread(extract_places, msg, extractor, region_names)]


async def handle_articles_received(msgs: Sequence[ArticleReceived], *, extractor: ArticleExtractor,
                                   region_names: RegionNames | None = None) -> list[PlacesExtracted]:
    """A consumer batch in one worker-thread call (one hand-off to the thread per batch, not per
    report): the same outputs, in order, as `handle_article_received` on each. Raises on the first
    report that fails; the runner then handles the batch's reports one by one."""
    return await asyncio.to_thread(lambda: [extract_places(msg, extractor, region_names) for msg in msgs])


def extract_places(msg: ArticleReceived, extractor: ArticleExtractor,
                   region_names: RegionNames | None = None) -> PlacesExtracted:
    """What extraction publishes for one report (synchronous, CPU-bound). An edit also carries what
    the replaced text gave, so geocoding can name the events it retracts; a withdrawn report has
    no events, and carries what its last text gave as the events to retract. A report from a known
    source is read in its context (`services.extraction.context`)."""
    article = msg.payload
    if not article.text.strip():
        raise RejectMessage("article text is empty")
    language = reading_language(article)
    if article.withdrawn:
        result = ExtractionResult(article_id=article.id, language=language or "en",
                                  published_at=article.published_at, source=article.source)
    else:
        result = extract_in_context(extractor, article, article.text, language, region_names)
    previous = None
    if article.previous_text:
        previous = extract_in_context(extractor, article, article.previous_text, language, region_names)
        if article.withdrawn:
            result = result.model_copy(update={"language": previous.language})
    result = result.model_copy(update={"version": article.version, "previous": previous,
                                       "source_context": article.source_context, "withdrawn": article.withdrawn})
    return PlacesExtracted.derived_from(msg, producer=PRODUCER, payload=result)


def reading_language(article: Article) -> str | None:
    """The language to read the report in: the sender's, else the one ingestion detected (lingua)
    when extraction has grammars for it; None lets the extractor decide by script and letters."""
    if article.language:
        return article.language
    if article.detected_language in READABLE:
        return article.detected_language
    return None
