"""A report from a known source (a registered Telegram channel) read in its context: the owner
claims the events whose text names no claimant, a text that names no place is read as if headed by
the source's region (its events come out placeless, every span still in the original text), and a
withdrawn report has no events but names what its last text gave."""
from __future__ import annotations

import pytest

from services.extraction.handlers import extract_places
from shared.messages import SourceContext
from tests.builders import make_article_received

GOVERNOR = SourceContext(channel="smolensk_gov", owner="Governor Vasily Anokhin", role="regional governor",
                         region="RU-SMO")


def NAMES(code: str, language: str | None) -> str | None:  # noqa: N802 - plays the gazetteer's names
    # Without the gazetteer (these tests) the extractor reads a region's name in the text's language.
    return {("RU-SMO", "en"): "Smolensk Oblast", ("RU-SMO", "ru"): "Смоленская область"}.get((code, language))


def read(extractor, text: str, context: SourceContext | None = GOVERNOR, language: str = "en", **kw):
    msg = make_article_received(text=text, language=language, **kw)
    msg = msg.model_copy(update={"payload": msg.payload.model_copy(update={"source_context": context})})
    return extract_places(msg, extractor, NAMES).payload


@pytest.mark.parametrize("text, language", [
    ("Dear Smolensk residents, one UAV was destroyed by air defence tonight.", "en"),
    ("Уважаемые смоляне! Сегодня ночью силами ПВО уничтожен один БПЛА. Пострадавших нет.", "ru"),
])
def test_a_post_naming_no_place_or_claimant_is_the_owners_claim_for_the_region(extractor, text, language):
    result = read(extractor, text, language=language)
    [event] = result.events
    assert (event.type, event.weapon, event.count) == ("interception", "uav", 1)
    assert event.claimed_by == "Governor Vasily Anokhin" and event.place is None
    assert result.places == [] and result.source_context == GOVERNOR
    for ev in event.evidence:
        assert text[ev.span[0]:ev.span[1]] == ev.text  # spans in the post's own text


def test_without_a_known_source_such_a_post_gives_nothing(extractor):
    result = read(extractor, "Dear Smolensk residents, one UAV was destroyed by air defence tonight.", context=None)
    assert result.events == [] and result.source_context is None


def test_a_claimant_named_in_the_text_keeps_the_claim(extractor):
    result = read(extractor, "The Russian Defence Ministry said air defence destroyed two drones over the "
                             "Bryansk region overnight.")
    [event] = result.events
    assert event.claimed_by == "Russian Ministry of Defense" and event.count == 2
    assert result.places[event.place].normalized.startswith("Bryansk")


def test_a_withdrawn_report_has_no_events_and_names_what_its_last_text_gave(extractor):
    text = "Air defence shot down two drones over the Kursk region overnight."
    result = read(extractor, text, version=3, previous_text=text, withdrawn=True)
    assert result.withdrawn and result.events == [] and result.version == 3
    assert result.previous is not None and len(result.previous.events) == 1
    assert result.previous.events[0].claimed_by == "Governor Vasily Anokhin"
