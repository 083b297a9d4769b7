"""Response models of the gateway API (v1)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from shared.messages import IncidentEvent


class EventsPage(BaseModel):
    items: list[IncidentEvent]
    next_cursor: str | None


class ArticlePublic(BaseModel):
    id: str
    status: Literal["pending", "processed", "failed"]
    error: str | None = None
    language: str | None = None
    title: str | None = None
    url: str | None = None
    source: str | None = None
    text: str | None = None
    published_at: datetime | None = None
    received_at: datetime | None = None
    processed_at: datetime | None = None
    events: list[IncidentEvent]


class Problem(BaseModel):
    error: str
