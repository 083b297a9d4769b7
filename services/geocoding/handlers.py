"""Geocoding's handler: resolve every place mention of an article and publish its complete set
of public incident events."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.geocoding.ports import Geocoder
from shared.messages import (
    EventsGeocoded,
    ExtractedEvent,
    ExtractionResult,
    GeocodedArticle,
    IncidentEvent,
    Location,
    PlacesExtracted,
    derived_id,
)

PRODUCER = "geocoding"
NO_PLACE = Location(reason="the report names no place for this event")


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
    version's events that this one no longer has."""
    result = msg.payload
    events = build_events(result, geocoder.resolve(list(result.places), language=result.language))
    retracted: list[str] = []
    if result.previous is not None:
        before = result.previous
        old_events = build_events(before, geocoder.resolve(list(before.places), language=before.language))
        kept = {e.id for e in events}
        retracted = sorted({e.id for e in old_events} - kept)
    payload = GeocodedArticle(article_id=result.article_id, language=result.language,
                              published_at=result.published_at, source=result.source, events=events,
                              version=result.version, retracted=retracted)
    return EventsGeocoded.derived_from(msg, producer=PRODUCER, payload=payload)


def _place_key(loc: Location) -> str:
    if loc.precision is None:
        return f"unresolved:{loc.mention}"
    street = f"{loc.street}|{','.join(loc.house_numbers)}" if loc.street else ""
    return f"{loc.country_code}|{loc.admin1_code}|{loc.admin2}|{loc.city}|{loc.name}|{street}"


def build_events(result: ExtractionResult, locations: list[Location]) -> list[IncidentEvent]:
    """One event per (type, weapon, resolved place): two mentions of one place merge, keeping the
    first value of each field and all the evidence. An event whose place resolves nowhere in the
    report's geography is not published: the resolver abstains to the report's region for every
    mention the text marks as a place, so what is left is a bare name that is no place there
    (a surname, a word the gazetteer happens to know)."""
    merged: dict[str, IncidentEvent] = {}
    for ev in result.events:
        loc = locations[ev.place] if ev.place is not None and ev.place < len(locations) else NO_PLACE
        if loc.precision is None:
            continue
        event_id = derived_id(result.article_id, ev.type, ev.weapon, _place_key(loc))
        incoming = _public(ev, event_id, result, loc)
        if event_id in merged:
            merged[event_id] = _merge(merged[event_id], incoming)
        else:
            merged[event_id] = incoming
    return list(merged.values())


def _public(ev: ExtractedEvent, event_id: str, result: ExtractionResult, loc: Location) -> IncidentEvent:
    return IncidentEvent(
        id=event_id, article_id=result.article_id, type=ev.type, weapon=ev.weapon, count=ev.count,
        killed=ev.killed, injured=ev.injured, damage=ev.damage, claimed_by=ev.claimed_by,
        occurred_at=ev.occurred, location=loc, evidence=list(ev.evidence), source=result.source,
        published_at=result.published_at,
    )


def _merge(first: IncidentEvent, other: IncidentEvent) -> IncidentEvent:
    fields = ("count", "killed", "injured", "damage", "claimed_by", "occurred_at")
    update = {f: getattr(other, f) for f in fields if getattr(first, f) is None and getattr(other, f) is not None}
    seen = {(e.field, e.span) for e in first.evidence}
    extra = [e for e in other.evidence if (e.field, e.span) not in seen]
    return first.model_copy(update={**update, "evidence": [*first.evidence, *extra]})
