"""Event filters as SQL: `EventFilter` holds what a query asks for (already validated), and
`where(flt, dialect)` turns it into SQLAlchemy conditions that work on SQLite and PostgreSQL.

`q` is a word-prefix search on the stores' full-text indexes (FTS5 on SQLite, a tsvector with a
GIN index on PostgreSQL; migration 0005_search): every word of `q` must start a word of the event's
evidence texts or place names, in any case. `claimed_by` and `admin2` are case-insensitive
substring and equality matching, portable rather than linguistic: ILIKE on PostgreSQL, and on SQLite
a small Python function registered on each connection (`register_sqlite_functions`), because
SQLite's own LIKE and lower() fold ASCII only and our texts are largely Cyrillic.

`bbox`, `near` and `region` go through each database's spatial index (migration 0006_spatial) and
then an exact test. PostgreSQL (PostGIS): the events' points as geography under a GiST index;
`near` is ST_DWithin on the sphere (the radius of `shared.geo.haversine_km`), `bbox` and `region` take the
index's candidates in an envelope (ST_MakeEnvelope) and keep those in the box (lat/lon between its
edges) or in the region's outline (ST_Intersects). SQLite: the R*Tree `events_rtree` gives the
candidates in the box, or in the box around the `near` circle or the region; then lat/lon between
the edges, the haversine distance in SQL, or the outline through `dw_in_region`. A box is a box in
degrees (its edges are parallels and meridians), on both stores and in the live stream."""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, LargeBinary, String, bindparam, false, func, or_, select, text
from sqlalchemy import column as sql_column
from sqlalchemy.sql.elements import TextClause

from services.gateway.regions import Region, Regions, in_region_sql_function
from shared.geo import EARTH_RADIUS_KM, KM_PER_DEGREE
from shared.store.tables import event_geog, event_time, events, events_rtree, search_vector

_WORD_SEPARATORS = re.compile(r"[\W_]+")
# PostGIS reads a box as geography with great-circle edges, which bow away from the parallels. The
# envelope handed to the index is therefore a little larger than the box (ENVELOPE_MARGIN_DEG),
# its edges cut into pieces short enough to bow by far less than that (ENVELOPE_SEGMENT_DEG), and
# no wider than ENVELOPE_MAX_WIDTH_DEG, so no event in the box is left out; the exact test follows.
ENVELOPE_MARGIN_DEG, ENVELOPE_SEGMENT_DEG, ENVELOPE_MAX_WIDTH_DEG = 0.01, 1.0, 90.0


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
    region: Region | None = None  # events whose point lies in the region's outline
    q: str | None = None
    claimed_by: str | None = None
    min_count: int | None = None
    precisions: tuple[str | None, ...] = field(default=())  # None: unresolved places


def when() -> ColumnElement[Any]:
    """An event's time: the incident's start, else the report's publication, else when it was
    stored (the very expression the store indexes)."""
    return event_time


def where(flt: EventFilter, dialect: str) -> list[ColumnElement[bool] | TextClause]:
    """The conditions of `flt` on `dialect` ("sqlite" or "postgresql")."""
    sqlite = dialect == "sqlite"
    conds: list[ColumnElement[bool] | TextClause] = [*_field_conditions(flt, sqlite), *_spatial_conditions(flt, sqlite)]
    if flt.q is not None:
        conds.append(_text_search(flt.q, sqlite))
    return conds


def _field_conditions(flt: EventFilter, sqlite: bool) -> list[ColumnElement[bool]]:
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
    return conds


def _spatial_conditions(flt: EventFilter, sqlite: bool) -> list[ColumnElement[bool] | TextClause]:
    conds: list[ColumnElement[bool] | TextClause] = []
    if flt.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = flt.bbox
        conds += [_indexed_box(flt.bbox, sqlite), events.c.lon.between(min_lon, max_lon),
                  events.c.lat.between(min_lat, max_lat)]
    if flt.near is not None:
        conds += _near(flt.near, sqlite)
    if flt.region is not None:
        conds += [_indexed_box(flt.region.bounds, sqlite), _in_region(flt.region, sqlite)]
    return conds


def near_extent(near: Near) -> tuple[float, float]:
    """Half the height and half the width, in degrees, of the smallest box holding the `near`
    circle (a half width of 360 when the circle holds a pole: every longitude)."""
    dlat = near.km / KM_PER_DEGREE
    if abs(near.lat) + dlat >= 90.0:
        return dlat, 360.0
    # the widest point of a spherical cap of angular radius dlat around latitude near.lat
    return dlat, math.degrees(math.asin(min(1.0, math.sin(math.radians(dlat)) / math.cos(math.radians(near.lat)))))


def _near(near: Near, sqlite: bool) -> list[ColumnElement[bool] | TextClause]:
    if not sqlite:  # on the sphere of shared.geo.haversine_km: PostGIS's sphere has the same (mean) radius
        centre = func.geography(func.ST_SetSRID(func.ST_MakePoint(near.lon, near.lat), 4326))
        return [func.ST_DWithin(event_geog, centre, near.km * 1000.0, False)]
    dlat, dlon = near_extent(near)
    min_lat, max_lat = max(-90.0, near.lat - dlat), min(90.0, near.lat + dlat)
    if near.lon - dlon >= -180 and near.lon + dlon <= 180:
        box = (near.lon - dlon, min_lat, near.lon + dlon, max_lat)
    else:  # the circle's box crosses the antimeridian: the tree narrows by latitude alone
        box = (-180.0, min_lat, 180.0, max_lat)
    return [_indexed_box(box, sqlite),
            _WITHIN_KM.bindparams(near_lat=math.radians(near.lat), near_lon=math.radians(near.lon),
                                  near_cos_lat=math.cos(math.radians(near.lat)), near_km=near.km)]


def _indexed_box(box: tuple[float, float, float, float], sqlite: bool) -> ColumnElement[bool]:
    """A condition the spatial index answers, true at least for every event inside `box`
    (min_lon, min_lat, max_lon, max_lat); an exact test must follow it."""
    min_lon, min_lat, max_lon, max_lat = box
    if sqlite:  # the R*Tree keeps 32-bit boxes rounded outwards: overlap, not containment
        r = events_rtree.c
        return events.c.seq.in_(select(r.id).where(r.max_lon >= min_lon, r.min_lon <= max_lon,
                                                   r.max_lat >= min_lat, r.min_lat <= max_lat))
    m = ENVELOPE_MARGIN_DEG
    low_lat, high_lat = max(-90.0, min_lat - m), min(90.0, max_lat + m)
    west, east = max(-180.0, min_lon - m), min(180.0, max_lon + m)
    pieces = max(1, math.ceil((east - west) / ENVELOPE_MAX_WIDTH_DEG))
    step = (east - west) / pieces
    envelopes = [func.geography(func.ST_Segmentize(
        func.ST_MakeEnvelope(west + i * step, low_lat, west + (i + 1) * step, high_lat, 4326), ENVELOPE_SEGMENT_DEG))
        for i in range(pieces)]
    return or_(*(event_geog.op("&&")(e) for e in envelopes))


def _in_region(region: Region, sqlite: bool) -> ColumnElement[bool]:
    if sqlite:  # a function of each connection (in_region_sql_function), answering from the same outlines
        return func.dw_in_region(region.code, events.c.lon, events.c.lat) == 1
    outline = func.ST_GeomFromWKB(bindparam("region_wkb", region.wkb, type_=LargeBinary), 4326)
    return func.ST_Intersects(outline, func.ST_SetSRID(func.ST_MakePoint(events.c.lon, events.c.lat), 4326))


def _within_km() -> TextClause:
    """On SQLite: the haversine distance from (:near_lat, :near_lon) in radians at most :near_km,
    in SQL (SQLite's math functions, or ours where a build lacks them): no call into Python per
    candidate. Written once as text: building it from expressions cost more than the query."""
    hav = ("power(sin((radians(events.lat) - :near_lat) / 2), 2) + "
           "cos(radians(events.lat)) * :near_cos_lat * power(sin((radians(events.lon) - :near_lon) / 2), 2)")
    return text(f"2 * {EARTH_RADIUS_KM} * asin(sqrt(min({hav}, 1.0))) <= :near_km")


_WITHIN_KM = _within_km()


def search_words(q: str) -> list[str]:
    """The words of a `q`, casefolded: runs of letters and digits (what both stores' full-text
    tokenizers take for words; everything else, `_` included, separates them)."""
    return [w for w in _WORD_SEPARATORS.split(q.casefold()) if w]


def matches_words(words: list[str], texts: Iterable[str | None]) -> bool:
    """`q`'s meaning in memory (the live stream): every word starts a word of one of the texts."""
    have = {w for t in texts if isinstance(t, str) for w in search_words(t)}
    return bool(words) and all(any(h.startswith(w) for h in have) for w in words)


def _text_search(q: str, sqlite: bool) -> ColumnElement[bool]:
    """Every word of `q` is the start of a word in the event's evidence texts or place names, on the
    stores' full-text indexes (migration 0005_search)."""
    words = search_words(q)
    if not words:
        return false()
    if sqlite:  # FTS5: each word a quoted prefix term; the words hold no quotes or operators
        match = " AND ".join(f'"{w}"*' for w in words)
        return events.c.seq.in_(text("SELECT rowid FROM events_fts WHERE events_fts MATCH :q_match")
                                .bindparams(q_match=match).columns(sql_column("rowid", Integer)))
    tsquery = func.to_tsquery(text("'simple'::regconfig"),
                              bindparam("q_tsquery", " & ".join(f"{w}:*" for w in words), type_=String))
    return search_vector(events.c.body).op("@@")(tsquery)  # the indexed expression: see list_event_rows


def _contains_pattern(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _dw_fold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def register_sqlite_functions(dbapi_conn: Any, _: Any = None, *, regions: Regions | None = None) -> None:
    """Connect hook for SQLite engines: the functions `where` uses there (`dw_in_region` answers
    from `regions`), and reads through a memory map (event bodies make rows large, so filters touch
    many pages; mapped, those pages come from the OS cache that all connections share instead of
    each connection's small cache)."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()
    if not _has_math_functions(dbapi_conn):
        for name, arity, fn in _MATH_FUNCTIONS:
            dbapi_conn.create_function(name, arity, fn, deterministic=True)
    dbapi_conn.create_function("dw_fold", 1, _dw_fold, deterministic=True)
    if regions is not None:
        dbapi_conn.create_function("dw_in_region", 3, in_region_sql_function(regions), deterministic=True)


def _math(fn: Callable[..., float]) -> Callable[..., float | None]:
    def call(*args: float | None) -> float | None:
        return None if any(a is None for a in args) else fn(*args)
    return call


# What `_near` calls, for SQLite builds without SQLITE_ENABLE_MATH_FUNCTIONS (before 3.35, or
# built without it): the same functions in Python, slower but equal.
_MATH_FUNCTIONS: tuple[tuple[str, int, Callable[..., float | None]], ...] = (
    ("sin", 1, _math(math.sin)), ("cos", 1, _math(math.cos)), ("asin", 1, _math(math.asin)),
    ("sqrt", 1, _math(math.sqrt)), ("radians", 1, _math(math.radians)), ("power", 2, _math(math.pow)))


def _has_math_functions(dbapi_conn: Any) -> bool:
    try:
        dbapi_conn.execute("SELECT sin(0), asin(0), sqrt(1), radians(0), power(2, 2)")
    except Exception:  # noqa: BLE001 - sqlite3.OperationalError: no such function
        return False
    return True
