"""Public events from one report's extraction and its mentions' locations: one event per (type,
weapon, resolved place), the way geocoding publishes them (`events.geocoded.v1`). Shared so that
the in-process evaluations build events exactly as the service does."""
from __future__ import annotations

from shared.messages import ExtractedEvent, ExtractionResult, IncidentEvent, Location, derived_id

NO_PLACE = Location(reason="the report names no place for this event")


def in_region(loc: Location, region: Location) -> Location:
    """The source's region standing in for a place the text does not give (or the gazetteer does
    not know), saying so; less confident than a place the text names."""
    if loc.mention is None:
        why = f"the report names no place; {region.name} is the region its source speaks for"
    else:
        why = f"{loc.reason or 'not in the gazetteer'}; placed in {region.name}, the region its source speaks for"
    return region.model_copy(update={"mention": loc.mention, "span": loc.span, "reason": why,
                                     "confidence": round(min(region.confidence, 0.5), 3)})


def _place_key(loc: Location) -> str:
    if loc.precision is None:
        return f"unresolved:{loc.mention}"
    street = f"{loc.street}|{','.join(loc.house_numbers)}" if loc.street else ""
    return f"{loc.country_code}|{loc.admin1_code}|{loc.admin2}|{loc.city}|{loc.name}|{street}"


def build_events(result: ExtractionResult, locations: list[Location],
                 region: Location | None = None) -> list[IncidentEvent]:
    """One event per (type, weapon, resolved place): two mentions of one place merge, keeping the
    first value of each field and all the evidence. With the source's `region`, an event whose text
    names no place, or only one the gazetteer does not know, is placed in that region. Otherwise an
    event whose place resolves nowhere in the report's geography is not published: the resolver
    abstains to the report's region for every mention the text marks as a place, so what is left is
    a bare name that is no place there (a surname, a word the gazetteer happens to know)."""
    merged: dict[str, IncidentEvent] = {}
    for ev in result.events:
        loc = locations[ev.place] if ev.place is not None and ev.place < len(locations) else NO_PLACE
        if region is not None and loc.precision is None:
            loc = in_region(loc, region)
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
