"""GET /v1/events and GET /v1/events/{id}."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from services.gateway.api.deps import ConnDep, SettingsDep
from services.gateway.queries import BadCursor, EventFilter, get_event, list_events
from services.gateway.schemas import EventsPage, Problem
from shared.messages import IncidentEvent

router = APIRouter(prefix="/v1/events", tags=["events"])

EventType = Literal["interception", "attack", "impact", "debris_fall"]
Weapon = Literal["uav", "missile", "glide_bomb", "artillery", "unknown"]


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if raw is None:
        return None
    parts = raw.split(",")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise HTTPException(400, "bbox must be four numbers: minlon,minlat,maxlon,maxlat") from None
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise HTTPException(400, "bbox must satisfy -180<=minlon<=maxlon<=180 and -90<=minlat<=maxlat<=90")
    return min_lon, min_lat, max_lon, max_lat


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("", response_model=EventsPage, responses={400: {"model": Problem}})
def search_events(
    conn: ConnDep,
    settings: SettingsDep,
    article_id: str | None = None,
    since: Annotated[datetime | None, Query(description="ISO 8601; events at or after")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601; events before")] = None,
    type: EventType | None = None,  # noqa: A002 - the public parameter name
    weapon: Weapon | None = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")] = None,
    admin1: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$",
                                        description="ISO 3166-2, e.g. RU-ROS")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    cursor: str | None = None,
) -> EventsPage:
    """Events matching all the given filters, in the order they were stored; follow
    `next_cursor` for the next page."""
    since, until = _utc(since), _utc(until)
    if since and until and since > until:
        raise HTTPException(400, "since must not be after until")
    flt = EventFilter(article_id=article_id, since=since, until=until, type=type, weapon=weapon,
                      country=country, admin1=admin1, bbox=parse_bbox(bbox))
    try:
        items, next_cursor = list_events(conn, flt=flt, limit=min(limit or settings.gateway_default_limit,
                                                                  settings.gateway_max_limit), cursor=cursor)
    except BadCursor as err:
        raise HTTPException(400, str(err)) from None
    return EventsPage(items=items, next_cursor=next_cursor)


@router.get("/{event_id}", response_model=IncidentEvent, responses={404: {"model": Problem}})
def read_event(event_id: str, conn: ConnDep) -> dict:
    """One event by id."""
    event = get_event(conn, event_id)
    if event is None:
        raise HTTPException(404, f"no event with id {event_id!r}")
    return event
