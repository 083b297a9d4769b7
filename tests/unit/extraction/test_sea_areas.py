"""Sea areas are places: "over the Sea of Azov", "над акваторией Чёрного моря", "над Азовським морем"
name the sea (level hint `sea`), not a town called Azov or an adjective taken for a village. Our own
texts."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize(("lang", "text", "name"), [
    ("en", "Air defences destroyed three drones over the Sea of Azov overnight.", "Azov"),
    ("en", "Two drones were downed over the Caspian Sea on Tuesday.", "Caspian Sea"),
    ("ru", "Над акваторией Чёрного моря уничтожены четыре беспилотника.", "Чёрного моря"),
    ("ru", "Ещё два дрона сбиты над Азовским морем.", "Азовским морем"),
    ("uk", "Над Азовським морем збито два дрони.", "Азовським морем"),
])
def test_a_sea_is_the_place_of_the_incident(extractor, lang, text, name):
    r = extractor.extract(article_id="t", text=text, title=None, language=lang, published_at=None)
    assert [(p.text, p.level_hint) for p in r.places] == [(name, "sea")]
    assert r.events and all(e.place is not None and r.places[e.place].level_hint == "sea" for e in r.events)
