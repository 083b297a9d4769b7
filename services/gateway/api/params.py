"""The query parameters of event searches (/v1/events in every format, /v1/stats), parsed into an
`EventFilter`. Every wrong value is a 422 problem naming the parameter and saying why."""
from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, get_args

from fastapi import Depends, Query

from services.gateway.api.deps import RegionsDep
from services.gateway.filters import EventFilter, IncidentFilter, Near
from services.gateway.regions import Region, Regions
from shared.http import ParameterError
from shared.messages.events import EventType, Precision, Weapon

TYPES, WEAPONS, PRECISIONS = get_args(EventType), get_args(Weapon), get_args(Precision)
MAX_TEXT = 200
Q_DOC = ("words, each matching the start of a word (case-insensitive, any script, no stemming) in an evidence "
         "text or a place name (mention, name, admin1, admin2, city, street); all words must match, in any "
         "order and field; words are runs of letters and digits, anything else separates them")


def text_param(name: str, value: str | None, *, where: str = "query") -> str | None:
    """A free-text parameter: at most MAX_TEXT characters, no control characters."""
    if value is None:
        return None
    if len(value) > MAX_TEXT:
        raise ParameterError(name, f"must be at most {MAX_TEXT} characters", where=where)
    if any(ord(c) < 32 for c in value):
        raise ParameterError(name, "must not contain control characters", where=where)
    return value


def comma_list(name: str, raw: str | None, allowed: tuple[str, ...] | None = None, *,
          upper: bool = False, pattern: str | None = None) -> tuple[str, ...]:
    if raw is None:
        return ()
    values = tuple(v.strip().upper() if upper else v.strip() for v in raw.split(","))
    for v in values:
        if allowed is not None and v not in allowed:
            raise ParameterError(name, f"{v!r} is not one of {', '.join(allowed)}")
        if pattern == "country" and not (len(v) == 2 and v.isascii() and v.isalpha()):
            raise ParameterError(name, f"{v!r} is not an ISO 3166-1 alpha-2 code such as UA")
        if pattern == "admin1" and not _is_admin1(v):
            raise ParameterError(name, f"{v!r} is not an ISO 3166-2 code such as RU-ROS")
    return values


def _is_admin1(v: str) -> bool:
    country, sep, sub = v.partition("-")
    return (bool(sep) and len(country) == 2 and country.isascii() and country.isalpha()
            and 1 <= len(sub) <= 3 and sub.isascii() and sub.isalnum())


def _numbers(name: str, raw: str, n: int, shape: str) -> list[float]:
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != n or not all(math.isfinite(v) for v in values):
        raise ParameterError(name, f"must be {n} numbers: {shape}")
    return values


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if raw is None:
        return None
    min_lon, min_lat, max_lon, max_lat = _numbers("bbox", raw, 4, "minlon,minlat,maxlon,maxlat")
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ParameterError("bbox", "must satisfy -180<=minlon<=maxlon<=180 and -90<=minlat<=maxlat<=90")
    return min_lon, min_lat, max_lon, max_lat


def parse_near(raw: str | None) -> Near | None:
    if raw is None:
        return None
    lat, lon, km = _numbers("near", raw, 3, "lat,lon,km")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ParameterError("near", "lat must be within -90..90 and lon within -180..180")
    if not 0 < km <= 20_000:
        raise ParameterError("near", "km must be above 0 and at most 20000")
    return Near(lat, lon, km)


def parse_region(raw: str | None, regions: Regions) -> Region | None:
    if raw is None:
        return None
    code = raw.strip().upper()
    if not _is_admin1(code):
        raise ParameterError("region", f"{raw!r} is not an ISO 3166-2 code such as RU-BEL")
    region = regions.get(code)
    if region is None:
        raise ParameterError("region", f"{code} is not a region with an outline here (regions of "
                                       f"{', '.join(sorted({c[:2] for c in regions.codes()}))})")
    return region


def _utc(name: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ParameterError(name, "is outside the range of dates this API handles") from None


def _precisions(raw: str | None) -> tuple[str | None, ...]:
    return tuple(None if v == "none" else v for v in comma_list("precision", raw, (*PRECISIONS, "none")))


async def event_filter(
    regions: RegionsDep,
    article_id: Annotated[str | None, Query(description="events of this report (on incidents: the incidents it "
                                                        "supports)")] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601; events at or after (incident time, "
                                                        "else publication time); no offset means UTC")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601; events before")] = None,
    type: Annotated[str | None, Query(description=f"one or more of {', '.join(TYPES)}, comma-separated")] = None,  # noqa: A002
    weapon: Annotated[str | None, Query(description=f"one or more of {', '.join(WEAPONS)}, comma-separated")] = None,
    country: Annotated[str | None, Query(description="ISO 3166-1 alpha-2 codes, comma-separated")] = None,
    admin1: Annotated[str | None, Query(description="ISO 3166-2 codes (e.g. RU-ROS), comma-separated")] = None,
    admin2: Annotated[str | None, Query(description="district name, case-insensitive exact match")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    near: Annotated[str | None, Query(description="lat,lon,km: within km of the point (great-circle)")] = None,
    region: Annotated[str | None, Query(description="ISO 3166-2 code of a region of RU, UA, BY or MD (e.g. RU-BEL): "
                                                    "events whose point lies in its outline as the map draws it, "
                                                    "whatever admin1 they were given")] = None,
    q: Annotated[str | None, Query(description=Q_DOC)] = None,
    claimed_by: Annotated[str | None, Query(description="case-insensitive substring of the claimant")] = None,
    min_count: Annotated[int | None, Query(ge=0, le=1_000_000_000, description="count at least")] = None,
    precision: Annotated[str | None, Query(description=f"one or more of {', '.join(PRECISIONS)}, none "
                                                       "(unresolved), comma-separated")] = None,
) -> EventFilter:
    since, until = _utc("since", since), _utc("until", until)
    if since and until and since > until:
        raise ParameterError("since", "must not be after until")
    q = text_param("q", q)
    if q is not None and not q.strip():
        raise ParameterError("q", "must not be blank")
    return EventFilter(
        article_id=text_param("article_id", article_id), since=since, until=until,
        types=comma_list("type", type, TYPES), weapons=comma_list("weapon", weapon, WEAPONS),
        countries=comma_list("country", country, upper=True, pattern="country"),
        admin1=comma_list("admin1", admin1, upper=True, pattern="admin1"),
        admin2=text_param("admin2", admin2), bbox=parse_bbox(bbox), near=parse_near(near),
        region=parse_region(region, regions),
        q=q.strip() if q else None, claimed_by=text_param("claimed_by", claimed_by),
        min_count=min_count, precisions=_precisions(precision))


FilterDep = Annotated[EventFilter, Depends(event_filter)]


STATUSES = ("active", "retracted", "merged")


async def incident_filter(
    flt: FilterDep,
    min_sources: Annotated[int | None, Query(ge=1, le=1_000_000, description="at least this many distinct "
                                                                             "sources")] = None,
    status: Annotated[str | None, Query(description=f"one or more of {', '.join(STATUSES)}, comma-separated, or "
                                                    "any (default: active)")] = None,
) -> IncidentFilter:
    """The event filters on incidents (on the incident's own place, time, type, weapon, reconciled
    count; `article_id`, `claimed_by` and `q` on its claims), with `min_sources` and `status`."""
    statuses: tuple[str, ...] = ("active",)
    if status is not None:
        statuses = () if status.strip() == "any" else comma_list("status", status, STATUSES)
    return IncidentFilter(**vars(flt), min_sources=min_sources, statuses=statuses)


IncidentFilterDep = Annotated[IncidentFilter, Depends(incident_filter)]
