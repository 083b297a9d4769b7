"""Event filters as SQL: `EventFilter` holds what a query asks for (already validated), and
`where(flt, dialect)` turns it into SQLAlchemy conditions that work on SQLite and PostgreSQL.

`q` is a word-prefix search on the stores' full-text indexes (FTS5 on SQLite, a tsvector with a
GIN index on PostgreSQL; migration 0005_search): every word of `q` must start a word of the event's
evidence texts or place names, in any case. `claimed_by` and `admin2` are case-insensitive
substring and equality matching, portable rather than linguistic: ILIKE on PostgreSQL, and on SQLite
a small Python function registered on each connection (`register_sqlite_functions`), because
SQLite's own LIKE and lower() fold ASCII only and our texts are largely Cyrillic. `near` first
narrows by a bounding box the indexes can use, then keeps events within the exact great-circle
(haversine) distance, computed in SQL."""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, bindparam, false, func, or_, text
from sqlalchemy import column as sql_column
from sqlalchemy.sql.elements import TextClause, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from shared.geo import EARTH_RADIUS_KM, KM_PER_DEGREE
from shared.store.tables import event_time, events, search_vector

_WORD_SEPARATORS = re.compile(r"[\W_]+")


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


def walkable(flt: EventFilter) -> bool:
    """True for a box or distance search whose other filters are all on columns that a walk in
    storage order checks as cheaply as an index would (see boxplan.py)."""
    return ((flt.bbox is not None or flt.near is not None) and flt.article_id is None and not flt.countries
            and not flt.admin1 and flt.admin2 is None and flt.claimed_by is None and flt.min_count is None
            and not flt.precisions and flt.q is None)


def _unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`+column`: the same value, but SQLite will not answer the term from an index."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def where(flt: EventFilter, dialect: str, *, walk: bool = False) -> list[ColumnElement[bool]]:
    """The conditions of `flt`. With `walk` (SQLite, a `walkable` filter) no term can use an index,
    so the query reads events in storage order (boxplan.py says when that is cheaper)."""
    sqlite = dialect == "sqlite"
    col: Callable[[ColumnElement[Any]], ColumnElement[Any]] = _unindexed if walk else (lambda c: c)
    conds: list[ColumnElement[bool]] = []
    if flt.article_id is not None:
        conds.append(events.c.article_id == flt.article_id)
    if flt.since is not None:
        conds.append(col(when()) >= flt.since)
    if flt.until is not None:
        conds.append(col(when()) < flt.until)
    for column, values in ((col(events.c.type), flt.types), (col(events.c.weapon), flt.weapons),
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
        conds += [col(events.c.lon).between(min_lon, max_lon), col(events.c.lat).between(min_lat, max_lat)]
    if flt.near is not None:
        conds += _near(flt.near, col, sqlite)
    if flt.q is not None:
        conds.append(_text_search(flt.q, sqlite))
    return conds


def near_extent(near: Near) -> tuple[float, float]:
    """Half the height and half the width, in degrees, of a box holding the `near` circle."""
    dlat = near.km / KM_PER_DEGREE
    cos_lat = math.cos(math.radians(min(89.0, abs(near.lat) + dlat)))
    return dlat, near.km / (KM_PER_DEGREE * cos_lat) if cos_lat > 0 else 360.0


def _near(near: Near, col: Callable[[ColumnElement[Any]], ColumnElement[Any]],
          sqlite: bool) -> list[ColumnElement[bool]]:
    dlat, dlon = near_extent(near)
    lat, lon = col(events.c.lat), col(events.c.lon)
    conds = [lat.between(near.lat - dlat, near.lat + dlat)]
    if near.lon - dlon >= -180 and near.lon + dlon <= 180:  # else the box wraps: let the exact test decide
        conds.append(lon.between(near.lon - dlon, near.lon + dlon))
    conds.append(_WITHIN_KM[sqlite].bindparams(near_lat=math.radians(near.lat), near_lon=math.radians(near.lon),
                                               near_cos_lat=math.cos(math.radians(near.lat)), near_km=near.km))
    return conds


def _within_km(at_most: str) -> TextClause:
    """The haversine distance from (:near_lat, :near_lon) in radians at most :near_km, in SQL on
    both stores (SQLite's math functions, or ours where a build lacks them): no call into Python
    per candidate. Written once as text: building it from expressions cost more than the query."""
    hav = ("power(sin((radians(events.lat) - :near_lat) / 2), 2) + "
           "cos(radians(events.lat)) * :near_cos_lat * power(sin((radians(events.lon) - :near_lon) / 2), 2)")
    return text(f"2 * {EARTH_RADIUS_KM} * asin(sqrt({at_most}({hav}, 1.0))) <= :near_km")


# by "is it SQLite?": SQLite's two-argument min() is scalar, PostgreSQL calls it least()
_WITHIN_KM = {True: _within_km("min"), False: _within_km("least")}


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


def register_sqlite_functions(dbapi_conn: Any, _: Any = None) -> None:
    """Connect hook for SQLite engines: the functions `where` uses there, and reads through a
    memory map (event bodies make rows large, so filters touch many pages; mapped, those pages
    come from the OS cache that all connections share instead of each connection's small cache)."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()
    if not _has_math_functions(dbapi_conn):
        for name, arity, fn in _MATH_FUNCTIONS:
            dbapi_conn.create_function(name, arity, fn, deterministic=True)
    dbapi_conn.create_function("dw_fold", 1, _dw_fold, deterministic=True)


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
