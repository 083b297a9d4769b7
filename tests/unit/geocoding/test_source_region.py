"""A report whose source speaks for a region (a governor's channel) is geocoded in that region: of
two same-named places the one there is preferred, an event whose text names no place is put in the
region itself, and a place named in another region stays there. A withdrawn report has no events
and retracts all its earlier ones."""
from __future__ import annotations

from services.geocoding.handlers import geocode_events
from shared.messages import ExtractedEvent, ExtractionResult, PlaceMention, PlacesExtracted, SourceContext

SMOLENSK = SourceContext(channel="smolensk_gov", owner="Governor Vasily Anokhin", region="RU-SMO")


def extracted(places: list[str], events: list[int | None], context: SourceContext | None = SMOLENSK,
              **kw) -> PlacesExtracted:
    mentions = [PlaceMention(text=p, span=(0, len(p)), normalized=p) for p in places]
    evs = [ExtractedEvent(type="interception", weapon="uav", count=1, place=i) for i in events]
    result = ExtractionResult(article_id="telegram:smolensk_gov:7", language="en", places=mentions, events=evs,
                              source_context=context, **kw)
    return PlacesExtracted.create(producer="test", correlation_id=result.article_id, payload=result)


def test_the_sources_region_wins_among_same_named_places(geocoder):
    [elsewhere] = geocode_events(extracted(["Kamenka"], [0], context=None), geocoder).payload.events
    [here] = geocode_events(extracted(["Kamenka"], [0]), geocoder).payload.events
    assert elsewhere.location.admin1_code != "RU-SMO"
    assert here.location.admin1_code == "RU-SMO" and here.location.name == "Kamenka"


def test_an_event_with_no_place_is_put_in_the_region_and_one_named_elsewhere_stays_there(geocoder):
    out = geocode_events(extracted(["Belgorod"], [None, 0]), geocoder).payload
    placed, named = out.events
    assert placed.location.precision == "admin1" and placed.location.admin1_code == "RU-SMO"
    assert placed.location.name == "Smolensk Oblast" and placed.location.mention is None
    assert "names no place" in (placed.location.reason or "") and placed.location.confidence <= 0.5
    assert named.location.admin1_code == "RU-BEL"
    assert out.source_context == SMOLENSK


def test_without_a_region_an_event_with_no_place_is_not_published(geocoder):
    """No source region to place it in, and no place of its own: no geolocated event."""
    assert geocode_events(extracted([], [None], context=None), geocoder).payload.events == []


def test_a_withdrawn_report_retracts_every_event_it_had(geocoder):
    before = extracted(["Vyazma"], [None, 0]).payload
    msg = extracted([], [], version=2, withdrawn=True, previous=before)
    out = geocode_events(msg, geocoder).payload
    assert out.withdrawn and out.events == [] and out.version == 2
    had = geocode_events(extracted(["Vyazma"], [None, 0]), geocoder).payload.events
    assert out.retracted == sorted(e.id for e in had) and len(out.retracted) == 2


def test_a_channel_speaking_for_a_whole_country_puts_placeless_events_in_that_country(geocoder):
    air_force = SourceContext(channel="kpszsu", owner="Ukrainian Air Force", region="UA")
    [event] = geocode_events(extracted([], [None], context=air_force), geocoder).payload.events
    assert (event.location.precision, event.location.country_code, event.location.name) == ("country", "UA", "Ukraine")
