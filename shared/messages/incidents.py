"""Incidents (topic `incidents.v1`, public): one real event, joined from the events of every report
that speaks of it. Each message is the incident's whole new state, keyed by incident id, with a
version that only grows and the change that made it. A reader keeps the highest version it has seen.
"""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.messages.envelope import Frozen, Message
from shared.messages.events import EventType, Evidence, IncidentEvent, Location, TimeWindow, Weapon

IncidentChange = Literal["created", "updated", "merged", "retracted"]
IncidentStatus = Literal["active", "retracted", "merged"]


class Claim(Frozen):
    """One report's event supporting an incident: what that report says of it."""

    event_id: str
    article_id: str
    article_version: int = 1
    claimed_by: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    count: int | None = None
    killed: int | None = None
    injured: int | None = None
    damage: bool | None = None
    location: Location
    occurred_at: TimeWindow | None = None  # when the report says it happened (None: it does not say)
    # True when the claim names only an area containing the incident (a ministry's "over the
    # Rostov region"): it supports the incident without moving it.
    containing_only: bool = False
    evidence: list[Evidence] = Field(default_factory=list)


class Reconciled(Frozen):
    """A reconciled value and the claim (event id) it came from."""

    value: int | bool | None = None
    event_id: str | None = None


class Incident(Frozen):
    id: str
    version: int = Field(ge=1)
    change: IncidentChange
    status: IncidentStatus = "active"
    merged_into: str | None = None  # set when status == "merged": the incident that survives
    type: EventType
    weapon: Weapon
    location: Location  # the most specific place among the claims
    occurred_at: TimeWindow | None = None  # the union of the claims' windows
    count: Reconciled = Reconciled()  # the most specific official figure
    count_range: tuple[int, int] | None = None  # (min, max) when claims disagree
    killed: Reconciled = Reconciled()  # the latest official figure
    injured: Reconciled = Reconciled()
    damage: Reconciled = Reconciled()  # true if any claim reports damage
    sources: int = 0  # distinct sources among the claims
    first_reported_at: datetime | None = None
    last_reported_at: datetime | None = None
    claims: list[Claim] = Field(default_factory=list)


class IncidentUpdated(Message):
    EVENT_TYPE: ClassVar[str] = "incident.updated"
    SCHEMA_VERSION: ClassVar[int] = 1
    payload: Incident

    @property
    def key(self) -> str:
        return self.payload.id


class RegionClaims(Frozen):
    """Internal (topic `incidents.claims.v1`, keyed by region): one report version's complete set
    of events in one region, as the incidents service's routing stage re-publishes them so that one
    partition owns each region's incidents. An empty `events` withdraws the report's claims there
    (an edit moved them elsewhere, or the report was withdrawn)."""

    region: str  # ISO 3166-2 admin1 code; else the country code; else "ZZ"
    article_id: str
    version: int = 1
    published_at: datetime | None = None
    source: str | None = None
    events: list[IncidentEvent] = Field(default_factory=list)


class ClaimsRouted(Message):
    EVENT_TYPE: ClassVar[str] = "incident.claims"
    SCHEMA_VERSION: ClassVar[int] = 1
    payload: RegionClaims

    @property
    def key(self) -> str:
        return self.payload.region
