"""Event filters as SQL: `EventFilter` holds what a query asks for (already validated), and
`where(flt, dialect)` turns it into SQLAlchemy conditions that work on SQLite and PostgreSQL.

Text matching (`q`, `claimed_by`, `admin2`) is case-insensitive substring or equality matching,
portable rather than linguistic: ILIKE on PostgreSQL, and on SQLite small Python functions
registered on each connection (`register_sqlite_functions`), because SQLite's own LIKE and lower()
fold ASCII only and our texts are largely Cyrillic. `near` first narrows by a bounding box the
indexes can use, then keeps events within the exact great-circle (haversine) distance."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, bindparam, cast, func, or_, text

from shared.store.tables import event_time, events

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180.0
PLACE_FIELDS = ("mention", "name", "admin1", "admin2", "city", "street")
# Text that JSON stores unescaped, so a match in an event's field is also a match in its JSON text.
_ASCII_TEXT = re.compile(r"[A-Za-z0-9 .,'-]+")


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    km: float


@dataclass(frozen=True)
class EventFilter:
    """Every field is optional; given fields combine with AND, list fields match any of their values."""

    article_id: str | None = None
    since: datetime | None = None  # inclusive, on `when`
    until: datetime | None = None  # exclusive
    types: tuple[str, ...] = ()
    weapons: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    admin1: tuple[str, ...] = ()
    admin2: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    near: Near | None = None
    q: str | None = None
    claimed_by: str | None = None
    min_count: int | None = None
    precisions: tuple[str | None, ...] = field(default=())  # None: unresolved places


def when() -> ColumnElement[Any]:
    """An event's time: the incident's start, else the report's publication, else when it was
    stored (the very expression the store indexes)."""
    return event_time


def where(flt: EventFilter, dialect: str) -> list[ColumnElement[bool]]:
    sqlite = dialect == "sqlite"
    conds: list[ColumnElement[bool]] = []
    if flt.article_id is not None:
        conds.append(events.c.article_id == flt.article_id)
    if flt.since is not None:
        conds.append(when() >= flt.since)
    if flt.until is not None:
        conds.append(when() < flt.until)
    for column, values in ((events.c.type, flt.types), (events.c.weapon, flt.weapons),
                           (events.c.country_code, flt.countries), (events.c.admin1_code, flt.admin1)):
        if len(values) == 1:
            conds.append(column == values[0])
        elif values:
            conds.append(column.in_(values))
    if flt.precisions:
        known = [p for p in flt.precisions if p is not None]
        either: list[ColumnElement[bool]] = [events.c.precision.in_(known)] if known else []
        if None in flt.precisions:
            either.append(events.c.precision.is_(None))
        conds.append(or_(*either))
    if flt.min_count is not None:
        conds.append(events.c.count >= flt.min_count)
    if flt.admin2 is not None:
        conds.append(func.dw_fold(events.c.admin2) == flt.admin2.casefold() if sqlite
                     else func.lower(events.c.admin2) == flt.admin2.lower())
    if flt.claimed_by is not None:
        conds.append(func.instr(func.dw_fold(events.c.claimed_by), flt.claimed_by.casefold()) > 0 if sqlite
                     else events.c.claimed_by.ilike(_contains_pattern(flt.claimed_by), escape="\\"))
    if flt.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = flt.bbox
        conds += [events.c.lon.between(min_lon, max_lon), events.c.lat.between(min_lat, max_lat)]
    if flt.near is not None:
        conds += _near(flt.near, sqlite)
    if flt.q is not None:
        conds.append(_text_search(flt.q, sqlite))
    return conds


def _near(near: Near, sqlite: bool) -> list[ColumnElement[bool]]:
    dlat = near.km / KM_PER_DEGREE
    conds = [events.c.lat.between(near.lat - dlat, near.lat + dlat)]
    cos_lat = math.cos(math.radians(min(89.0, abs(near.lat) + dlat)))
    dlon = near.km / (KM_PER_DEGREE * cos_lat) if cos_lat > 0 else 360.0
    if near.lon - dlon >= -180 and near.lon + dlon <= 180:  # else the box wraps: let the exact test decide
        conds.append(events.c.lon.between(near.lon - dlon, near.lon + dlon))
    if sqlite:
        distance = func.dw_km(events.c.lat, events.c.lon, near.lat, near.lon)
    else:
        lat1, lat2 = func.radians(events.c.lat), math.radians(near.lat)
        dphi, dlam = lat1 - lat2, func.radians(events.c.lon) - math.radians(near.lon)
        hav = func.power(func.sin(dphi / 2), 2) + func.cos(lat1) * math.cos(lat2) * func.power(func.sin(dlam / 2), 2)
        distance = 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(func.least(1.0, hav)))
    conds.append(distance <= near.km)
    return conds


def _text_search(q: str, sqlite: bool) -> ColumnElement[bool]:
    if sqlite:
        match = func.dw_search(events.c.body, q.casefold()) == 1
        if _ASCII_TEXT.fullmatch(q):  # the stored JSON holds ASCII text as is: a cheap prefilter
            return and_(cast(events.c.body, String).like(_contains_pattern(q), escape="\\"), match)
        return match
    # Evidence first (most matches are there; EXISTS and OR stop at the first hit), then place names.
    places = " OR ".join(f"(events.body -> 'location' ->> '{f}') ILIKE :q_pattern ESCAPE '\\'" for f in PLACE_FIELDS)
    sql = ("(EXISTS (SELECT 1 FROM json_array_elements(events.body -> 'evidence') AS ev "
           f"WHERE (ev ->> 'text') ILIKE :q_pattern ESCAPE '\\') OR {places})")
    match = text(sql).bindparams(bindparam("q_pattern", _contains_pattern(q)))
    if _ASCII_TEXT.fullmatch(q):  # the stored JSON holds ASCII text as is: a cheap prefilter
        return and_(cast(events.c.body, String).ilike(_contains_pattern(q), escape="\\"), match)
    return match  # type: ignore[return-value]


def _contains_pattern(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def _dw_km(lat1: float | None, lon1: float | None, lat2: float, lon2: float) -> float | None:
    return None if lat1 is None or lon1 is None else haversine_km(lat1, lon1, lat2, lon2)


def _dw_fold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def _dw_search(body: str | None, needle: str) -> int:
    """1 when `needle` (casefolded) occurs in an evidence text or a place name of the event."""
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        return 0
    location = doc.get("location") or {}
    texts = [e.get("text") for e in doc.get("evidence") or []] + [location.get(f) for f in PLACE_FIELDS]
    return int(any(isinstance(t, str) and needle in t.casefold() for t in texts))


def register_sqlite_functions(dbapi_conn: Any, _: Any = None) -> None:
    """Connect hook for SQLite engines: the functions `where` uses there, and reads through a
    memory map (event bodies make rows large, so filters touch many pages; mapped, those pages
    come from the OS cache that all connections share instead of each connection's small cache)."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()
    dbapi_conn.create_function("dw_km", 4, _dw_km, deterministic=True)
    dbapi_conn.create_function("dw_fold", 1, _dw_fold, deterministic=True)
    dbapi_conn.create_function("dw_search", 2, _dw_search, deterministic=True)
