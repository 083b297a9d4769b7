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


class LanguageSpy(EchoExtractor):
    def __init__(self) -> None:
        super().__init__()
        self.languages: list[str | None] = []

    def extract(self, *, language, **kwargs):
        self.languages.append(language)
        return super().extract(language=language, **kwargs)


@pytest.mark.parametrize(("declared", "detected", "read_as"), [
    ("uk", "ru", "uk"),     # the sender's word wins
    (None, "uk", "uk"),     # else what ingestion detected
    (None, "pl", None),     # a language we have no grammar for: the extractor decides
    (None, None, None),
])
async def test_the_report_is_read_in_the_declared_else_the_detected_language(declared, detected, read_as):
    spy = LanguageSpy()
    await handle_article_received(make_article_received(language=declared, detected_language=detected),
                                  extractor=spy)
    assert spy.languages == [read_as]
