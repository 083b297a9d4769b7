"""Geocoding's handler: one public event per (type, weapon, resolved place), ids that do not
change on redelivery, and events kept even when their place cannot be resolved."""
from __future__ import annotations

from services.geocoding.handlers import handle_places_extracted
from shared.messages import (
    Evidence,
    ExtractedEvent,
    ExtractionResult,
    Location,
    PlaceMention,
    PlacesExtracted,
)

TEXT = "Drones were shot down over Kursk region and over Kursk. Debris fell in Zzyzx."


class DictGeocoder:
    """Answers from a small table: mention text -> Location."""

    def __init__(self, table: dict[str, Location]) -> None:
        self.table = table

    def resolve(self, places, *, language, text=""):
        return [self.table.get(p.text, Location(mention=p.text, span=p.span, reason="not in the table"))
                for p in places]


KURSK = Location(name="Kursk Oblast", country_code="RU", admin1_code="RU-KRS", admin1="Kursk Oblast",
                 lat=51.73, lon=36.19, precision="admin1", confidence=0.9)


def mention(word: str, level=None) -> PlaceMention:
    start = TEXT.index(word)
    return PlaceMention(text=word, span=(start, start + len(word)), normalized=word, level_hint=level)


def message() -> PlacesExtracted:
    places = [mention("Kursk region", "oblast"), mention("Kursk."[:-1]), mention("Zzyzx")]
    ev = lambda t, p, **kw: ExtractedEvent(type=t, weapon="uav", place=p, **kw)  # noqa: E731
    result = ExtractionResult(article_id="a-1", language="en", places=places, events=[
        ev("interception", 0, evidence=[Evidence(article_id="a-1", field="type", span=(11, 21), text="shot down")]),
        ev("interception", 1, count=2,
           evidence=[Evidence(article_id="a-1", field="count", span=(0, 6), text="Drones")]),
        ev("debris_fall", 2),
        ev("attack", None),
    ])
    return PlacesExtracted.create(producer="extraction", correlation_id="a-1", payload=result, event_id="m-1")


async def test_two_mentions_of_one_place_make_one_event_with_all_evidence():
    table = {"Kursk region": KURSK, "Kursk": KURSK}
    [out] = await handle_places_extracted(message(), geocoder=DictGeocoder(table))
    interceptions = [e for e in out.payload.events if e.type == "interception"]
    assert len(interceptions) == 1
    [ev] = interceptions
    assert ev.count == 2 and {e.field for e in ev.evidence} == {"type", "count"}
    assert ev.location.admin1_code == "RU-KRS"


async def test_events_whose_place_resolves_nowhere_are_not_published():
    """The resolver abstains to the report's region for every mention the text marks as a place;
    what it cannot place anywhere (a bare name that is no place there, or no place at all) is no
    geolocated event."""
    [out] = await handle_places_extracted(message(), geocoder=DictGeocoder({"Kursk region": KURSK}))
    assert {e.type for e in out.payload.events} == {"interception"}
    assert all(e.location.precision is not None for e in out.payload.events)


async def test_redelivery_gives_identical_ids():
    geocoder = DictGeocoder({"Kursk region": KURSK})
    [a] = await handle_places_extracted(message(), geocoder=geocoder)
    [b] = await handle_places_extracted(message(), geocoder=geocoder)
    assert a.event_id == b.event_id
    assert [e.id for e in a.payload.events] == [e.id for e in b.payload.events]
    assert len({e.id for e in a.payload.events}) == len(a.payload.events)
