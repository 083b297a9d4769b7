"""Geocoding's handler: resolve every place mention of an article and publish its complete set
of public incident events."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.geocoding.ports import Geocoder, RegionalGeocoder
from shared.messages import EventsGeocoded, ExtractionResult, GeocodedArticle, Location, PlacesExtracted, SourceContext
from shared.places.events import build_events

PRODUCER = "geocoding"


async def handle_places_extracted(msg: PlacesExtracted, *, geocoder: Geocoder) -> list[EventsGeocoded]:
    """Idempotent: event ids derive from article, type, weapon and resolved place. The look-ups
    run in a thread so the consumer keeps heartbeating."""
    return [await asyncio.to_thread(geocode_events, msg, geocoder)]


async def handle_places_extracted_many(msgs: Sequence[PlacesExtracted], *,
                                       geocoder: Geocoder) -> list[EventsGeocoded]:
    """A consumer batch in one worker-thread call (one hand-off to the thread per batch, not per
    report): the same outputs, in order, as `handle_places_extracted` on each. Raises on the first
    that fails; the runner then handles the batch's messages one by one."""
    return await asyncio.to_thread(lambda: [geocode_events(msg, geocoder) for msg in msgs])


def geocode_events(msg: PlacesExtracted, geocoder: Geocoder) -> EventsGeocoded:
    """One article's complete set of public events (synchronous). An edit also names the previous
    version's events that this one no longer has; a withdrawn report has none and names them all.
    A report whose source speaks for a region is read in that region (`locate`)."""
    result = msg.payload
    region = source_region(geocoder, result.source_context)
    events = build_events(result, locate(geocoder, result, region), region)
    retracted: list[str] = []
    if result.previous is not None:
        before = result.previous
        old_events = build_events(before, locate(geocoder, before, region), region)
        kept = {e.id for e in events}
        retracted = sorted({e.id for e in old_events} - kept)
    payload = GeocodedArticle(article_id=result.article_id, language=result.language,
                              published_at=result.published_at, source=result.source, events=events,
                              version=result.version, retracted=retracted, withdrawn=result.withdrawn,
                              source_context=result.source_context)
    return EventsGeocoded.derived_from(msg, producer=PRODUCER, payload=payload)


def source_region(geocoder: Geocoder, context: SourceContext | None) -> Location | None:
    """The region the report's source speaks for, when the geocoder knows it."""
    if context is None or not context.region or not isinstance(geocoder, RegionalGeocoder):
        return None
    return geocoder.region(context.region)


def locate(geocoder: Geocoder, result: ExtractionResult, region: Location | None) -> list[Location]:
    """The mentions' locations; with the source's region (ISO 3166-2) as context when there is one,
    so that of two same-named places the one in that region is preferred."""
    places = list(result.places)
    if region is not None and region.admin1_code and isinstance(geocoder, RegionalGeocoder):
        return geocoder.resolve(places, language=result.language, region_hint=region.admin1_code)
    return geocoder.resolve(places, language=result.language)
