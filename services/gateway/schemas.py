"""Response models of the gateway API (v1)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.messages import Claim, IncidentEvent
from shared.messages.events import EventType, Location, TimeWindow, Weapon


class EventsPage(BaseModel):
    items: list[IncidentEvent]
    next_cursor: str | None


class Point(BaseModel):
    type: Literal["Point"]
    coordinates: tuple[float, float]  # lon, lat


class Feature(BaseModel):
    type: Literal["Feature"]
    id: str
    geometry: Point | None
    properties: IncidentEvent


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[Feature]
    next_cursor: str | None


class StatsRow(BaseModel):
    """One group (the keys asked for in `group_by`) with its totals: `events` (or `incidents`, with
    `of=incidents`) and the sums."""

    day: str | None = None
    admin1: str | None = None
    country: str | None = None
    type: str | None = None
    weapon: str | None = None
    events: int | None = None
    incidents: int | None = None
    count: int
    killed: int
    injured: int


class Stats(BaseModel):
    group_by: list[str]
    groups: list[StatsRow]


class ArticlePublic(BaseModel):
    id: str
    status: Literal["pending", "processed", "failed", "retracted"] = Field(
        description="retracted: the source withdrew the report (a deleted post); it has no events")
    error: str | None = None
    language: str | None = None
    title: str | None = None
    url: str | None = None
    source: str | None = None
    text: str | None = None
    published_at: datetime | None = None
    received_at: datetime | None = None
    processed_at: datetime | None = None
    version: int = Field(default=1, description="the newest version of the report applied (edits count up)")
    origin: str | None = Field(default=None, description="http | batch | feed | telegram | file")
    channel: str | None = None
    author: str | None = None
    fetched_at: datetime | None = None
    detected_language: str | None = Field(default=None, description="ISO 639-1, by lingua at ingestion")
    language_confidence: float | None = None
    near_duplicate_of: str | None = Field(default=None, description="the earlier report this one repeats")
    events: list[IncidentEvent]


class ReconciledFrom(BaseModel):
    """The claim (event id) each reconciled value came from."""

    count: str | None = None
    killed: str | None = None
    injured: str | None = None
    damage: str | None = None


class IncidentPublic(BaseModel):
    """One real incident joined across the reports that speak of it (topic `incidents.v1`)."""

    id: str
    version: int = Field(description="grows with every change; the store keeps the highest")
    change: Literal["created", "updated", "merged", "retracted"] = Field(description="what made this version")
    status: Literal["active", "retracted", "merged"] = Field(
        description="retracted: no report supports it any more; merged: it is the same incident as `merged_into`")
    merged_into: str | None = Field(default=None, description="for a merged incident: the one that survives")
    type: EventType
    weapon: Weapon
    location: Location = Field(description="the most specific place among the claims")
    occurred_at: TimeWindow | None = Field(default=None, description="the union of the claims' windows")
    count: int | None = Field(default=None, description="the most specific official figure among the claims")
    count_range: tuple[int, int] | None = Field(default=None, description="(min, max) when the claims disagree")
    killed: int | None = Field(default=None, description="the latest official figure")
    injured: int | None = Field(default=None, description="the latest official figure")
    damage: bool | None = Field(default=None, description="true if any claim reports damage")
    reconciled_from: ReconciledFrom
    sources: int = Field(description="distinct sources among the claims")
    claim_count: int
    first_reported_at: datetime | None = None
    last_reported_at: datetime | None = None


class IncidentDetail(IncidentPublic):
    claims: list[Claim] = Field(description="one per supporting event: what that report says")


class IncidentsPage(BaseModel):
    items: list[IncidentPublic]
    next_cursor: str | None


class IncidentFeature(BaseModel):
    type: Literal["Feature"]
    id: str
    geometry: Point | None
    properties: IncidentPublic


class IncidentFeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[IncidentFeature]
    next_cursor: str | None
