"""Extraction's handler: one article in, one derived message out, with an id that is the same on
every redelivery; an article with no text is rejected (dead-lettered) with a reason."""
from __future__ import annotations

import pytest

from services.extraction.handlers import handle_article_received
from shared.kafka.errors import RejectMessage
from shared.messages import ExtractionResult
from tests.builders import make_article_received


class EchoExtractor:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def extract(self, *, article_id, text, title, language, published_at, source=None):
        self.seen.append(text)
        return ExtractionResult(article_id=article_id, language=language or "en", source=source)


async def test_the_output_derives_from_the_input_and_is_stable_across_redeliveries():
    extractor = EchoExtractor()
    msg = make_article_received(id="a-3", language="ru")
    [first] = await handle_article_received(msg, extractor=extractor)
    [again] = await handle_article_received(msg, extractor=extractor)
    assert first.event_id == again.event_id != msg.event_id
    assert first.correlation_id == "a-3" and first.payload.language == "ru" and first.producer == "extraction"


async def test_an_article_with_only_whitespace_is_rejected_with_a_reason():
    with pytest.raises(RejectMessage, match="empty"):
        await handle_article_received(make_article_received(text="  \n "), extractor=EchoExtractor())
