"""An edited post through extraction and geocoding (real extractor, a table-free fake geocoder):
the new version carries its number, an event the edit keeps keeps its id (its fields updated), and
an event the edit removes is named in `retracted`."""
from __future__ import annotations

from services.extraction.handlers import handle_article_received
from services.geocoding.handlers import handle_places_extracted
from shared.messages import Location
from tests.builders import make_article_received


class NameGeocoder:
    """Every mention resolves to a region named after its normalised text."""

    def resolve(self, places, *, language, text=""):
        return [Location(mention=p.text, span=p.span, name=p.normalized, country_code="RU", admin1=p.normalized,
                         precision="admin1", confidence=0.9) for p in places]


async def geocoded(msg, extractor):
    [extracted] = await handle_article_received(msg, extractor=extractor)
    [out] = await handle_places_extracted(extracted, geocoder=NameGeocoder())
    return extracted, out


async def test_an_edit_updates_kept_events_and_retracts_removed_ones(extractor):
    first_text = "Air defence shot down two drones over Kursk region. A missile hit a depot in Belgorod region."
    edited = "Air defence shot down three drones over Kursk region overnight."
    _, v1 = await geocoded(make_article_received(id="ed-1", text=first_text, language="en"), extractor)
    v2_msg = make_article_received(id="ed-1", text=edited, language="en", version=2, previous_text=first_text)
    extracted, v2 = await geocoded(v2_msg, extractor)
    assert extracted.payload.version == 2 and v2.payload.version == 2
    before = {e.id: e for e in v1.payload.events}
    after = {e.id: e for e in v2.payload.events}
    [kept] = set(before) & set(after)
    assert (before[kept].count, after[kept].count) == (2, 3)
    assert v2.payload.retracted == sorted(set(before) - set(after)) and v2.payload.retracted
    assert v1.payload.retracted == [] and v1.payload.version == 1
