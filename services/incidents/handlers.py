"""The incidents service's two handlers (one typed message in, messages out; no Kafka here):

* routing: a report's complete event set (`events.geocoded.v1`, keyed by article) becomes one
  `ClaimsRouted` per region it has events in, or had them in at its last version
  (`incidents.claims.v1`, keyed by region);
* the region engine: one `ClaimsRouted` applied to that region's incidents; every incident it
  changed goes out whole on `incidents.v1`.

Both are idempotent: a redelivered input finds its version already applied and sends the same
messages again, with the same ids (derived from incident id and version)."""
from __future__ import annotations

from services.incidents.engine import apply
from services.incidents.ports import IncidentState
from services.incidents.routing import plan
from services.incidents.rules import Rules, region_of
from shared.kafka.errors import RejectMessage
from shared.messages import ClaimsRouted, EventsGeocoded, Incident, IncidentUpdated, derived_id

PRODUCER = "incidents"


async def handle_events_geocoded(msg: EventsGeocoded, *, state: IncidentState) -> list[ClaimsRouted]:
    article = msg.payload
    strays = [ev.id for ev in article.events if ev.article_id != article.article_id]
    if strays:
        raise RejectMessage(f"events {strays} belong to another article than {article.article_id!r}")
    routed = await state.route(article, lambda last: plan(article, last))
    return [ClaimsRouted.create(producer=PRODUCER, correlation_id=article.article_id, payload=rc,
                                event_id=derived_id(article.article_id, article.version, "claims", rc.region))
            for rc in routed]


async def handle_claims_routed(msg: ClaimsRouted, *, state: IncidentState, rules: Rules) -> list[IncidentUpdated]:
    rc = msg.payload
    misplaced = [ev.id for ev in rc.events if region_of(ev.location) != rc.region or ev.article_id != rc.article_id]
    if misplaced:
        raise RejectMessage(f"events {misplaced} are not of article {rc.article_id!r} in region {rc.region!r}")
    changed = await state.in_region(rc.region, lambda ws: apply(ws, rc, rules))
    return [incident_message(i, rc.article_id) for i in changed]


def incident_message(incident: Incident, article_id: str) -> IncidentUpdated:
    """The incident's whole state; the same id for the same incident version, always."""
    return IncidentUpdated.create(producer=PRODUCER, correlation_id=article_id, payload=incident,
                                  event_id=derived_id("incident", incident.id, incident.version))
