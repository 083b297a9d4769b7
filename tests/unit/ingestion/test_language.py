"""Every report's language is detected (lingua) and recorded next to the declared one."""
from __future__ import annotations

import pytest

from services.ingestion.language import LanguageIdentifier

SAMPLES = {
    "en": "Firefighters worked through the night after a drone hit the fuel depot near the highway.",
    "ru": "Пожарные всю ночь тушили склад горючего после попадания беспилотника возле трассы.",
    "uk": "Рятувальники всю ніч гасили склад пального після влучання безпілотника біля траси.",
    "pl": "Strażacy przez całą noc gasili skład paliwa po uderzeniu drona w pobliżu autostrady.",
    "de": "Die Feuerwehr löschte die ganze Nacht das Treibstofflager, nachdem eine Drohne es getroffen hatte.",
    "be": "Ратавальнікі ўсю ноч тушылі склад паліва пасля траплення беспілотніка каля трасы.",
}


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_languages_of_the_region_are_told_apart(identifier, code):
    found = identifier.detect(SAMPLES[code])
    assert found is not None and found.language == code and 0 < found.confidence <= 1


@pytest.mark.parametrize("text", ["", "ok", "12:40 — 13:05", "!!! ???"])
def test_too_little_text_gives_no_guess(identifier, text):
    assert identifier.detect(text) is None


def test_the_detector_is_built_on_first_use_not_at_construction():
    identifier = LanguageIdentifier()
    assert identifier._detector is None
    identifier.detect(SAMPLES["en"])
    assert identifier._detector is not None


async def test_reports_record_detected_and_declared_language(app_client, recorder):
    client = await app_client()
    await client.post("/v1/articles", json={"id": "l-1", "text": SAMPLES["uk"]})
    await client.post("/v1/articles", json={"id": "l-2", "text": SAMPLES["ru"], "language": "uk"})
    [undeclared], [declared] = recorder.by_id("l-1"), recorder.by_id("l-2")
    assert (undeclared.language, undeclared.detected_language) == (None, "uk")
    assert (declared.language, declared.detected_language) == ("uk", "ru")
    assert declared.language_confidence is not None and declared.language_confidence > 0.5
