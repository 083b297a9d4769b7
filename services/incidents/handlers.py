"""The incidents service's two handlers (one typed message in, messages out; no Kafka here):

* routing: a report's complete event set (`events.geocoded.v1`, keyed by article) becomes one
  `ClaimsRouted` per region it has events in, or had them in at its last version
  (`incidents.claims.v1`, keyed by region);
* the region engine: one `ClaimsRouted` applied to that region's incidents; every incident it
  changed goes out whole on `incidents.v1`.

Both are idempotent: a redelivered input finds its version already applied and sends the same
messages again, with the same ids (derived from incident id and version)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

from services.incidents.engine import apply
from services.incidents.ports import IncidentState, Route
from services.incidents.routing import plan
from services.incidents.rules import Rules, region_of
from shared.kafka.errors import RejectMessage
from shared.messages import (
    ClaimsRouted,
    EventsGeocoded,
    GeocodedArticle,
    Incident,
    IncidentUpdated,
    RegionClaims,
    derived_id,
)

PRODUCER = "incidents"


async def handle_events_geocoded(msg: EventsGeocoded, *, state: IncidentState) -> list[ClaimsRouted]:
    return await handle_events_geocoded_many([msg], state=state)


async def handle_events_geocoded_many(msgs: Sequence[EventsGeocoded], *, state: IncidentState) -> list[ClaimsRouted]:
    """A consumer batch routed in one transaction (the runner retries a failed batch one by one)."""
    articles = [_checked_article(m.payload) for m in msgs]
    plans = [(a, partial(_plan, a, m.occurred_at)) for a, m in zip(articles, msgs, strict=True)]
    routed = await state.route_many(plans)
    return [ClaimsRouted.create(producer=PRODUCER, correlation_id=a.article_id, payload=rc,
                                event_id=derived_id(a.article_id, a.version, "claims", rc.region))
            for a, messages in zip(articles, routed, strict=True) for rc in messages]


async def handle_claims_routed(msg: ClaimsRouted, *, state: IncidentState, rules: Rules,
                               max_claims: int = 100) -> list[IncidentUpdated]:
    return await handle_claims_routed_many([msg], state=state, rules=rules, max_claims=max_claims)


async def handle_claims_routed_many(msgs: Sequence[ClaimsRouted], *, state: IncidentState,
                                    rules: Rules, max_claims: int = 100) -> list[IncidentUpdated]:
    """A consumer batch applied in one transaction, in order. Each incident it changed goes out once,
    in its last state (a reader keeps the highest version; the ones between are skipped), so that a
    burst of reports about one incident is not a burst of its whole state."""
    claims = [_checked_claims(m.payload) for m in msgs]
    changed = await state.in_regions([(rc.region, partial(apply, rc=rc, rules=rules)) for rc in claims], claims)
    last: dict[str, IncidentUpdated] = {}
    for rc, incidents in zip(claims, changed, strict=True):
        for incident in incidents:
            last.pop(incident.id, None)  # re-inserted: ordered by last change
            last[incident.id] = incident_message(incident, rc.article_id, max_claims)
    return list(last.values())


def _plan(article: GeocodedArticle, seen_at: datetime, last: Route | None) -> tuple[Route | None,
                                                                                Sequence[RegionClaims]]:
    return plan(article, last, seen_at)


def _checked_article(article: GeocodedArticle) -> GeocodedArticle:
    strays = [ev.id for ev in article.events if ev.article_id != article.article_id]
    if strays:
        raise RejectMessage(f"events {strays} belong to another article than {article.article_id!r}")
    return article


def _checked_claims(rc: RegionClaims) -> RegionClaims:
    misplaced = [ev.id for ev in rc.events if region_of(ev.location) != rc.region or ev.article_id != rc.article_id]
    if misplaced:
        raise RejectMessage(f"events {misplaced} are not of article {rc.article_id!r} in region {rc.region!r}")
    return rc


def incident_message(incident: Incident, article_id: str, max_claims: int = 100) -> IncidentUpdated:
    """The incident's whole state, with at most `max_claims` claims (those the reconciled fields
    name, then the latest; `claims_total` says how many it has); the same id for the same incident
    version, always."""
    return IncidentUpdated.create(producer=PRODUCER, correlation_id=article_id, payload=bounded(incident, max_claims),
                                  event_id=derived_id("incident", incident.id, incident.version))


def bounded(incident: Incident, max_claims: int) -> Incident:
    if len(incident.claims) <= max_claims:
        return incident
    named = {r.event_id for r in (incident.count, incident.killed, incident.injured, incident.damage) if r.event_id}
    keep = {c.event_id for c in incident.claims if c.event_id in named}
    for c in reversed(incident.claims):  # report order: the latest last
        if len(keep) >= max_claims:
            break
        keep.add(c.event_id)
    return incident.model_copy(update={"claims": [c for c in incident.claims if c.event_id in keep],
                                       "claims_total": len(incident.claims)})
