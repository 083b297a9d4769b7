""""..., all in the region" / "над регионом" / "в області": an incident sentence that names no place of
its own but points back at the region happens in the region the report named, not in the village the
previous sentence happened to name. Our own texts."""
from __future__ import annotations

import pytest


def _events(extractor, text: str, lang: str) -> list[tuple[str, int | None, str | None]]:
    r = extractor.extract(article_id="t", text=text, title=None, language=lang, published_at=None)
    return [(e.type, e.count, r.places[e.place].text if e.place is not None else None) for e in r.events]


@pytest.mark.parametrize(("lang", "text", "region"), [
    ("en", "The Poltava region came under a drone attack overnight. A house in the village of Kobeliaky caught "
           "fire after a drone hit it. Air defences shot down eleven drones, all in the region.", "Poltava region"),
    ("ru", "Ночью Курская область подверглась атаке. В селе Глушково дрон попал в дом. "
           "Над регионом сбиты семь беспилотников.", "Курская область"),
    ("uk", "Уночі Сумську область атакували дрони. У селі Хотінь дрон влучив у будинок. "
           "Загалом в області збито дев'ять дронів.", "Сумську область"),
])
def test_in_the_region_means_the_region_the_report_named(extractor, lang, text, region):
    interceptions = [e for e in _events(extractor, text, lang) if e[0] == "interception"]
    assert [place for _t, _n, place in interceptions] == [region]


def test_without_a_region_phrase_the_previous_place_still_counts(extractor):
    text = "Drones attacked the Kherson region overnight. In the village of Bilozerka a drone hit a shop. " \
           "Two more were shot down nearby."
    assert [place for t, _n, place in _events(extractor, text, "en") if t == "interception"] == ["Bilozerka"]
