"""Response models of the gateway API (v1)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.messages import IncidentEvent


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
    """One group (the keys asked for in `group_by`) with its totals."""

    day: str | None = None
    admin1: str | None = None
    country: str | None = None
    type: str | None = None
    weapon: str | None = None
    events: int
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
