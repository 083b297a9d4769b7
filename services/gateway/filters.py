"""The meaning of the event filters, defined once (`TERMS`), and both of its readings: as SQL
(`where(flt, dialect, subject)`, SQLAlchemy conditions for SQLite and PostgreSQL) and in memory
(`accepts(flt, subject, facts)`, the live stream's). `EventFilter` holds what a query asks for
(already validated); a `Subject` says what the filters select (events, or incidents: the same
filters on an incident's own columns, with `article_id`, `claimed_by` and `q` asking whether any of
its claims matches) and where each field lives for it.

Each term names a filter (a field of EventFilter), the field of the subject it tests, and an `Op`
that knows that test in both readings. A field is one column of the subject's table, or, for a
field that has many values per item (an incident's claims), a column of another table: the SQL
then asks for any matching row (`id IN (SELECT ...)`), and memory for any matching value.

`q` is a word-prefix search on the stores' full-text indexes (FTS5 on SQLite, a tsvector with a
GIN index on PostgreSQL; migration 0005_search): every word of `q` must start a word of the event's
evidence texts or place names, in any case. `claimed_by` and `admin2` are case-insensitive
substring and equality matching, portable rather than linguistic: ILIKE on PostgreSQL, and on SQLite
a small Python function registered on each connection (`register_sqlite_functions`), because
SQLite's own LIKE and lower() fold ASCII only and our texts are largely Cyrillic.

`bbox`, `near` and `region` go through each database's spatial index (migrations 0006_spatial and
0007_incidents) and then an exact test. PostgreSQL (PostGIS): the points as geography under a GiST
index; `near` is ST_DWithin on the sphere (the radius of `shared.geo.haversine_km`), `bbox` and
`region` take the index's candidates in an envelope (ST_MakeEnvelope) and keep those in the box
(lat/lon between its edges) or in the region's outline (ST_Intersects). SQLite: the subject's R*Tree
gives the candidates in the box, or in the box around the `near` circle or the region; then lat/lon
between the edges, the haversine distance in SQL, or the outline through `dw_in_region`. A box is a
box in degrees (its edges are parallels and meridians), on both stores and in the live stream."""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, LargeBinary, String, Table, bindparam, false, func, or_, select, text
from sqlalchemy import column as sql_column
from sqlalchemy.sql.elements import TextClause

from services.gateway.regions import Region, Regions, in_region_sql_function
from shared.geo import EARTH_RADIUS_KM, KM_PER_DEGREE, haversine_km
from shared.messages import Incident, IncidentEvent, Location
from shared.store.tables import (
    SEARCH_PLACE_FIELDS,
    event_geog,
    event_time,
    events,
    events_rtree,
    incident_claims,
    incident_geog,
    incident_time,
    incidents,
    incidents_rtree,
    search_vector,
)

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


@dataclass(frozen=True)
class IncidentFilter(EventFilter):
    """The event filters on incidents, and two of their own."""

    min_sources: int | None = None
    statuses: tuple[str, ...] = ("active",)  # () : any status

    def events(self) -> EventFilter:
        """The event filters alone (for events: `min_sources` and `statuses` are the incidents' own)."""
        return EventFilter(**{f.name: getattr(self, f.name) for f in fields(EventFilter)})


# ---- the subjects ----------------------------------------------------------------------------

Point = tuple[float, float] | None  # lon, lat


@dataclass(frozen=True)
class Many:
    """A field with many values per item: `column` of another table, whose `owner` column holds
    the item's id."""

    column: ColumnElement[Any]
    owner: ColumnElement[Any]


@dataclass(frozen=True)
class Subject:
    """What the filters select, for SQL: its table, the column (or `Many`) of each field, its time,
    its point as PostGIS geography, its SQLite R*Tree, and how `q` searches it."""

    name: str
    table: Table
    fields: dict[str, ColumnElement[Any] | Many]
    time: ColumnElement[Any]
    geog: ColumnElement[Any]
    rtree: Table
    text_search: Callable[[list[str], bool], ColumnElement[bool]]

    @property
    def many(self) -> frozenset[str]:
        return frozenset(k for k, v in self.fields.items() if isinstance(v, Many))


# ---- the operations: each test in SQL and in memory -------------------------------------------

class Op:
    def sql(self, column: ColumnElement[Any], arg: Any, sqlite: bool) -> ColumnElement[bool]:
        raise NotImplementedError

    def test(self, value: Any, arg: Any) -> bool:
        raise NotImplementedError


class OneOf(Op):
    """The value is one of the given ones (None among them: an unknown value)."""

    def sql(self, column: ColumnElement[Any], arg: tuple[Any, ...], sqlite: bool) -> ColumnElement[bool]:
        known = [v for v in arg if v is not None]
        either: list[ColumnElement[bool]] = []
        if known:
            either.append(column == known[0] if len(known) == 1 else column.in_(known))
        if None in arg:
            either.append(column.is_(None))
        return either[0] if len(either) == 1 else or_(*either)

    def test(self, value: Any, arg: tuple[Any, ...]) -> bool:
        return value in arg


class Equals(Op):
    def sql(self, column: ColumnElement[Any], arg: Any, sqlite: bool) -> ColumnElement[bool]:
        return column == arg

    def test(self, value: Any, arg: Any) -> bool:
        return value is not None and value == arg


class AtLeast(Op):
    def sql(self, column: ColumnElement[Any], arg: Any, sqlite: bool) -> ColumnElement[bool]:
        return column >= arg

    def test(self, value: Any, arg: Any) -> bool:
        return value is not None and value >= arg


class Before(Op):
    def sql(self, column: ColumnElement[Any], arg: Any, sqlite: bool) -> ColumnElement[bool]:
        return column < arg

    def test(self, value: Any, arg: Any) -> bool:
        return value is not None and value < arg


class FoldEquals(Op):
    """Equal ignoring case, in any script."""

    def sql(self, column: ColumnElement[Any], arg: str, sqlite: bool) -> ColumnElement[bool]:
        return func.dw_fold(column) == arg.casefold() if sqlite else func.lower(column) == arg.lower()

    def test(self, value: Any, arg: str) -> bool:
        return isinstance(value, str) and value.casefold() == arg.casefold()


class FoldContains(Op):
    """Contains the text, ignoring case, in any script; wildcards are literal."""

    def sql(self, column: ColumnElement[Any], arg: str, sqlite: bool) -> ColumnElement[bool]:
        if sqlite:
            return func.instr(func.dw_fold(column), arg.casefold()) > 0
        return column.ilike(_contains_pattern(arg), escape="\\")

    def test(self, value: Any, arg: str) -> bool:
        return isinstance(value, str) and arg.casefold() in value.casefold()


class SubjectOp(Op):
    """A test on the subject as a whole (its point, its texts), with its own SQL."""

    def subject_sql(self, subject: Subject, arg: Any, sqlite: bool) -> list[ColumnElement[bool] | TextClause]:
        raise NotImplementedError


class InBox(SubjectOp):
    def subject_sql(self, subject: Subject, arg: tuple[float, float, float, float],
                    sqlite: bool) -> list[ColumnElement[bool] | TextClause]:
        min_lon, min_lat, max_lon, max_lat = arg
        c = subject.table.c
        return [_indexed_box(subject, arg, sqlite), c.lon.between(min_lon, max_lon), c.lat.between(min_lat, max_lat)]

    def test(self, value: Point, arg: tuple[float, float, float, float]) -> bool:
        return value is not None and arg[0] <= value[0] <= arg[2] and arg[1] <= value[1] <= arg[3]


class Within(SubjectOp):
    def subject_sql(self, subject: Subject, arg: Near, sqlite: bool) -> list[ColumnElement[bool] | TextClause]:
        return _near(subject, arg, sqlite)

    def test(self, value: Point, arg: Near) -> bool:
        return value is not None and haversine_km(value[1], value[0], arg.lat, arg.lon) <= arg.km


class InRegion(SubjectOp):
    def subject_sql(self, subject: Subject, arg: Region, sqlite: bool) -> list[ColumnElement[bool] | TextClause]:
        return [_indexed_box(subject, arg.bounds, sqlite), _in_region(subject, arg, sqlite)]

    def test(self, value: Point, arg: Region) -> bool:
        return value is not None and arg.covers(value[0], value[1])


class Matches(SubjectOp):
    """`q`: every word starts a word of the texts."""

    def subject_sql(self, subject: Subject, arg: str, sqlite: bool) -> list[ColumnElement[bool] | TextClause]:
        words = search_words(arg)
        return [subject.text_search(words, sqlite) if words else false()]

    def test(self, value: Iterable[str | None], arg: str) -> bool:
        return matches_words(search_words(arg), value)


@dataclass(frozen=True)
class Term:
    filter: str  # the field of EventFilter (or IncidentFilter)
    field: str  # the field of the subject it tests
    op: Op


# The meaning of every filter. `time` is the item's time (see `when`), `point` its (lon, lat),
# `text` the texts `q` searches.
TERMS: tuple[Term, ...] = (
    Term("article_id", "article_id", Equals()),
    Term("since", "time", AtLeast()),
    Term("until", "time", Before()),
    Term("types", "type", OneOf()),
    Term("weapons", "weapon", OneOf()),
    Term("countries", "country_code", OneOf()),
    Term("admin1", "admin1_code", OneOf()),
    Term("precisions", "precision", OneOf()),
    Term("min_count", "count", AtLeast()),
    Term("admin2", "admin2", FoldEquals()),
    Term("claimed_by", "claimed_by", FoldContains()),
    Term("bbox", "point", InBox()),
    Term("near", "point", Within()),
    Term("region", "point", InRegion()),
    Term("q", "text", Matches()),
    Term("min_sources", "sources", AtLeast()),
    Term("statuses", "status", OneOf()),
)


def _given(flt: EventFilter) -> Iterator[tuple[Term, Any]]:
    for term in TERMS:
        arg = getattr(flt, term.filter, None)
        if arg is not None and arg != ():
            yield term, arg


# ---- the SQL reading -------------------------------------------------------------------------

def where(flt: EventFilter, dialect: str, subject: Subject | None = None) -> list[ColumnElement[bool] | TextClause]:
    """The conditions of `flt` on `dialect` ("sqlite" or "postgresql"), for `subject` (events if
    not given)."""
    subject = subject or EVENTS
    sqlite = dialect == "sqlite"
    conds: list[ColumnElement[bool] | TextClause] = []
    for term, arg in _given(flt):
        if isinstance(term.op, SubjectOp):
            conds += term.op.subject_sql(subject, arg, sqlite)
            continue
        col = subject.fields[term.field]
        if isinstance(col, Many):
            conds.append(subject.table.c.id.in_(select(col.owner).where(term.op.sql(col.column, arg, sqlite))))
        else:
            conds.append(term.op.sql(col, arg, sqlite))
    return conds


# ---- the in-memory reading -------------------------------------------------------------------

def accepts(flt: EventFilter, facts: dict[str, Any], many: frozenset[str] = frozenset()) -> bool:
    """`flt` applied in memory to one item's `facts` (field -> value; for the fields in `many`, a
    tuple of values, any of which may match), with the same meaning as `where`."""
    for term, arg in _given(flt):
        value = facts[term.field]
        if term.field in many:
            if not any(term.op.test(v, arg) for v in value):
                return False
        elif not term.op.test(value, arg):
            return False
    return True


def _point(loc: Location) -> Point:
    return (loc.lon, loc.lat) if loc.lat is not None and loc.lon is not None else None


def _place_texts(loc: Location) -> list[str | None]:
    return [getattr(loc, f) for f in SEARCH_PLACE_FIELDS]


def event_facts(ev: IncidentEvent, now: datetime) -> dict[str, Any]:
    """What the filters read of an event in memory; its time falls back to `now` (when it passes
    by), where the store would use the time it was stored."""
    loc = ev.location
    return {
        "article_id": ev.article_id,
        "time": (ev.occurred_at.start if ev.occurred_at else None) or ev.published_at or now,
        "type": ev.type, "weapon": ev.weapon, "country_code": loc.country_code, "admin1_code": loc.admin1_code,
        "admin2": loc.admin2, "precision": loc.precision, "count": ev.count, "claimed_by": ev.claimed_by,
        "point": _point(loc), "text": [e.text for e in ev.evidence] + _place_texts(loc),
        "sources": None, "status": None,
    }


def incident_facts(inc: Incident, now: datetime) -> dict[str, Any]:
    """What the filters read of an incident in memory (the fields of INCIDENTS.many are tuples over
    its claims); its time falls back to `now` as an event's does."""
    loc = inc.location
    count = inc.count.value
    return {
        "article_id": tuple(c.article_id for c in inc.claims),
        "time": (inc.occurred_at.start if inc.occurred_at else None) or inc.first_reported_at or now,
        "type": inc.type, "weapon": inc.weapon, "country_code": loc.country_code, "admin1_code": loc.admin1_code,
        "admin2": loc.admin2, "precision": loc.precision,
        "count": count if isinstance(count, int) and not isinstance(count, bool) else None,
        "claimed_by": tuple(c.claimed_by for c in inc.claims), "point": _point(loc),
        # what the store searches: the texts of the events behind its claims
        "text": [t for c in inc.claims for t in [*(e.text for e in c.evidence), *_place_texts(c.location)]],
        "sources": inc.sources, "status": inc.status,
    }


def accepts_event(flt: EventFilter, ev: IncidentEvent, now: datetime) -> bool:
    return accepts(flt, event_facts(ev, now))


def accepts_incident(flt: EventFilter, inc: Incident, now: datetime) -> bool:
    return accepts(flt, incident_facts(inc, now), INCIDENTS.many)


def when() -> ColumnElement[Any]:
    """An event's time: the incident's start, else the report's publication, else when it was
    stored (the very expression the store indexes)."""
    return event_time


def near_extent(near: Near) -> tuple[float, float]:
    """Half the height and half the width, in degrees, of the smallest box holding the `near`
    circle (a half width of 360 when the circle holds a pole: every longitude)."""
    dlat = near.km / KM_PER_DEGREE
    if abs(near.lat) + dlat >= 90.0:
        return dlat, 360.0
    # the widest point of a spherical cap of angular radius dlat around latitude near.lat
    return dlat, math.degrees(math.asin(min(1.0, math.sin(math.radians(dlat)) / math.cos(math.radians(near.lat)))))


def _near(subject: Subject, near: Near, sqlite: bool) -> list[ColumnElement[bool] | TextClause]:
    if not sqlite:  # on the sphere of shared.geo.haversine_km: PostGIS's sphere has the same (mean) radius
        centre = func.geography(func.ST_SetSRID(func.ST_MakePoint(near.lon, near.lat), 4326))
        return [func.ST_DWithin(subject.geog, centre, near.km * 1000.0, False)]
    dlat, dlon = near_extent(near)
    min_lat, max_lat = max(-90.0, near.lat - dlat), min(90.0, near.lat + dlat)
    if near.lon - dlon >= -180 and near.lon + dlon <= 180:
        box = (near.lon - dlon, min_lat, near.lon + dlon, max_lat)
    else:  # the circle's box crosses the antimeridian: the tree narrows by latitude alone
        box = (-180.0, min_lat, 180.0, max_lat)
    return [_indexed_box(subject, box, sqlite),
            _within_km(subject.table.name).bindparams(
                near_lat=math.radians(near.lat), near_lon=math.radians(near.lon),
                near_cos_lat=math.cos(math.radians(near.lat)), near_km=near.km)]


def _indexed_box(subject: Subject, box: tuple[float, float, float, float], sqlite: bool) -> ColumnElement[bool]:
    """A condition the spatial index answers, true at least for every item inside `box`
    (min_lon, min_lat, max_lon, max_lat); an exact test must follow it."""
    min_lon, min_lat, max_lon, max_lat = box
    if sqlite:  # the R*Tree keeps 32-bit boxes rounded outwards: overlap, not containment
        r = subject.rtree.c
        return subject.table.c.seq.in_(select(r.id).where(r.max_lon >= min_lon, r.min_lon <= max_lon,
                                                          r.max_lat >= min_lat, r.min_lat <= max_lat))
    m = ENVELOPE_MARGIN_DEG
    low_lat, high_lat = max(-90.0, min_lat - m), min(90.0, max_lat + m)
    west, east = max(-180.0, min_lon - m), min(180.0, max_lon + m)
    pieces = max(1, math.ceil((east - west) / ENVELOPE_MAX_WIDTH_DEG))
    step = (east - west) / pieces
    envelopes = [func.geography(func.ST_Segmentize(
        func.ST_MakeEnvelope(west + i * step, low_lat, west + (i + 1) * step, high_lat, 4326), ENVELOPE_SEGMENT_DEG))
        for i in range(pieces)]
    return or_(*(subject.geog.op("&&")(e) for e in envelopes))


def _in_region(subject: Subject, region: Region, sqlite: bool) -> ColumnElement[bool]:
    c = subject.table.c
    if sqlite:  # a function of each connection (in_region_sql_function), answering from the same outlines
        return func.dw_in_region(region.code, c.lon, c.lat) == 1
    outline = func.ST_GeomFromWKB(bindparam("region_wkb", region.wkb, type_=LargeBinary), 4326)
    return func.ST_Intersects(outline, func.ST_SetSRID(func.ST_MakePoint(c.lon, c.lat), 4326))


@functools.cache
def _within_km(table: str) -> TextClause:
    """On SQLite: the haversine distance of `table`'s point from (:near_lat, :near_lon) in radians
    at most :near_km, in SQL (SQLite's math functions, or ours where a build lacks them): no call
    into Python per candidate. Written once per table as text: building it from expressions cost
    more than the query."""
    hav = (f"power(sin((radians({table}.lat) - :near_lat) / 2), 2) + "
           f"cos(radians({table}.lat)) * :near_cos_lat * power(sin((radians({table}.lon) - :near_lon) / 2), 2)")
    return text(f"2 * {EARTH_RADIUS_KM} * asin(sqrt(min({hav}, 1.0))) <= :near_km")


def search_words(q: str) -> list[str]:
    """The words of a `q`, casefolded: runs of letters and digits (what both stores' full-text
    tokenizers take for words; everything else, `_` included, separates them)."""
    return [w for w in _WORD_SEPARATORS.split(q.casefold()) if w]


def matches_words(words: list[str], texts: Iterable[str | None]) -> bool:
    """`q`'s meaning in memory (the live stream): every word starts a word of one of the texts."""
    have = {w for t in texts if isinstance(t, str) for w in search_words(t)}
    return bool(words) and all(any(h.startswith(w) for h in have) for w in words)


def _event_text_search(words: list[str], sqlite: bool) -> ColumnElement[bool]:
    """Every word is the start of a word in the event's evidence texts or place names, on the
    stores' full-text indexes (migration 0005_search)."""
    if sqlite:  # FTS5: each word a quoted prefix term; the words hold no quotes or operators
        match = " AND ".join(f'"{w}"*' for w in words)
        return events.c.seq.in_(text("SELECT rowid FROM events_fts WHERE events_fts MATCH :q_match")
                                .bindparams(q_match=match).columns(sql_column("rowid", Integer)))
    tsquery = func.to_tsquery(text("'simple'::regconfig"),
                              bindparam("q_tsquery", " & ".join(f"{w}:*" for w in words), type_=String))
    return search_vector(events.c.body).op("@@")(tsquery)  # the indexed expression: see list_event_rows


def _incident_text_search(words: list[str], sqlite: bool) -> ColumnElement[bool]:
    """An incident matches when one of the events behind its claims does (the events' index)."""
    claims = incident_claims.c
    return incidents.c.id.in_(select(claims.incident_id).join(events, events.c.id == claims.event_id)
                              .where(_event_text_search(words, sqlite)))


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


EVENTS = Subject(
    name="events", table=events, time=event_time, geog=event_geog, rtree=events_rtree,
    text_search=_event_text_search,
    fields={"article_id": events.c.article_id, "time": event_time, "type": events.c.type, "weapon": events.c.weapon,
            "country_code": events.c.country_code, "admin1_code": events.c.admin1_code, "admin2": events.c.admin2,
            "precision": events.c.precision, "count": events.c.count, "claimed_by": events.c.claimed_by})
INCIDENTS = Subject(
    name="incidents", table=incidents, time=incident_time, geog=incident_geog, rtree=incidents_rtree,
    text_search=_incident_text_search,
    fields={"article_id": Many(incident_claims.c.article_id, incident_claims.c.incident_id), "time": incident_time,
            "type": incidents.c.type, "weapon": incidents.c.weapon, "country_code": incidents.c.country_code,
            "admin1_code": incidents.c.admin1_code, "admin2": incidents.c.admin2,
            "precision": incidents.c.precision, "count": incidents.c.count,
            "claimed_by": Many(incident_claims.c.claimed_by, incident_claims.c.incident_id),
            "sources": incidents.c.sources, "status": incidents.c.status})
