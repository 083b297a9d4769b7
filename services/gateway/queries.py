"""Read queries over the incident store. Keyword-only arguments; no HTTP here.

Pages use keyset cursors, never offsets, so paging is stable while storage keeps inserting:

- `sort=stored` (default): by `seq`, the order storage stored events in. New events only ever
  come after every existing one, so a walk through the pages sees every event exactly once,
  including the ones stored while it walks.
- `sort=time` / `sort=-time`: by the event's time (`filters.when`) and then `seq`, oldest or
  newest first. The cursor holds the last (time, seq) seen: no event is ever repeated or skipped,
  and an event stored during the walk shows up if its time lies ahead of the cursor (for
  `-time`: is older than the last one seen); one that lands behind it is left for the next walk.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    String,
    Text,
    and_,
    cast,
    func,
    literal_column,
    or_,
    select,
)

from services.gateway.filters import EVENTS, EventFilter, Subject, where
from shared.store.tables import articles, events, incident_claims, incidents

Sort = Literal["stored", "time", "-time"]
GroupBy = Literal["day", "admin1", "country", "type", "weapon"]


class BadCursor(ValueError):
    pass


def encode_cursor(sort: Sort, seq: int, at: datetime | None) -> str:
    doc: dict[str, Any] = {"s": seq} if sort == "stored" else {"o": sort, "s": seq, "t": at.isoformat() if at else None}
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[int, datetime | None]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        seq = doc["s"]
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**63:
            raise ValueError
        if doc.get("o", "stored") != sort:
            raise BadCursor(f"cursor belongs to sort={doc.get('o', 'stored')}, not sort={sort}")
        at = datetime.fromisoformat(doc["t"]) if sort != "stored" else None
        return seq, at
    except BadCursor:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise BadCursor("cursor is not one this API returned") from err


def list_event_rows(
    conn: Connection, *, flt: EventFilter, limit: int, cursor: str | None, sort: Sort = "stored",
) -> tuple[list[Row[*tuple[Any, ...]]], str | None]:
    """One page of events matching `flt` as rows (`id`, `lat`, `lon`, and `body`: the event's JSON
    text as stored, for writing out without parsing), and the cursor of the next page (None at the
    end). Raises BadCursor for a cursor this API did not hand out (or one from another sort)."""
    return list_rows(conn, EVENTS, flt=flt, limit=limit, cursor=cursor, sort=sort)


def list_rows(
    conn: Connection, subject: Subject, *, flt: EventFilter, limit: int, cursor: str | None, sort: Sort = "stored",
) -> tuple[list[Row[*tuple[Any, ...]]], str | None]:
    """`list_event_rows` for any subject of the filters (events, incidents)."""
    table, at = subject.table, subject.time
    # The page's keys come from narrow rows (filter and sort on indexes); only they read bodies.
    # The storage order's cursor needs no time: leaving it out lets an index answer alone.
    keys_of = (table.c.seq,) if sort == "stored" else (table.c.seq, at.label("at"))
    conds = where(flt, conn.dialect.name, subject)
    after = decode_cursor(cursor, sort) if cursor else None
    desc = sort == "-time"
    if after and sort == "stored":
        conds.append(table.c.seq > after[0])
    elif after:
        seq, t = after
        if t is None:
            raise BadCursor("cursor is not one this API returned")
        beyond = at < t if desc else at > t
        conds.append(or_(beyond, and_(at == t, table.c.seq < seq if desc else table.c.seq > seq)))
    if flt.q is not None and conn.dialect.name == "postgresql":
        # Every match first, then the order: PostgreSQL cannot tell how rare a word prefix is, and
        # with the ORDER BY ... LIMIT in view it may walk all events in order computing each one's
        # tsvector (seconds for a rare word). OFFSET 0 keeps the matching a step of its own.
        found = select(*keys_of).where(*conds).offset(literal_column("0")).subquery("found")
        by_seq: ColumnElement[Any] = found.c.seq
        by_at: ColumnElement[Any] | None = found.c.at if sort != "stored" else None
        q = select(*found.c)
    else:
        by_seq, by_at = table.c.seq, at if sort != "stored" else None
        q = select(*keys_of).where(*conds)
    if by_at is None:
        q = q.order_by(by_seq)
    else:
        q = q.order_by(by_at.desc(), by_seq.desc()) if desc else q.order_by(by_at, by_seq)
    q = q.limit(limit + 1)
    # One statement: the page's keys in a subquery, then their rows joined by seq.
    keys = q.subquery("page")
    key_cols = (keys.c.seq,) if sort == "stored" else (keys.c.seq, keys.c.at)
    order = ((keys.c.seq,) if sort == "stored" else (keys.c.at.desc(), keys.c.seq.desc()) if sort == "-time"
             else (keys.c.at, keys.c.seq))
    rows = conn.execute(select(*key_cols, table.c.id, table.c.lat, table.c.lon,
                               cast(table.c.body, Text).label("body"))
                        .join_from(keys, table, table.c.seq == keys.c.seq).order_by(*order)).all()
    page = list(rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(sort, last.seq, None if sort == "stored" else last.at)
    return page, next_cursor


def list_events(
    conn: Connection, *, flt: EventFilter, limit: int, cursor: str | None, sort: Sort = "stored",
    subject: Subject = EVENTS,
) -> tuple[list[dict[str, Any]], str | None]:
    """`list_event_rows` (or `list_rows` of another subject) with each item parsed."""
    rows, next_cursor = list_rows(conn, subject, flt=flt, limit=limit, cursor=cursor, sort=sort)
    return [json.loads(r.body) for r in rows], next_cursor


def iter_events(engine: Engine, *, flt: EventFilter, sort: Sort = "stored", chunk: int = 1000,
                limit: int | None = None, subject: Subject = EVENTS) -> Iterator[dict[str, Any]]:
    """Every event (or item of `subject`) matching `flt` (at most `limit`), fetched `chunk` at a
    time, each chunk on a connection of its own: memory stays flat and no connection is held while
    a slow client reads."""
    cursor: str | None = None
    left = limit
    while left is None or left > 0:
        size = chunk if left is None else min(chunk, left)
        with engine.connect() as conn:
            page, cursor = list_events(conn, flt=flt, limit=size, cursor=cursor, sort=sort, subject=subject)
        yield from page
        if left is not None:
            left -= len(page)
        if cursor is None:
            return


def event_stats(conn: Connection, *, flt: EventFilter, group_by: list[GroupBy],
                subject: Subject = EVENTS) -> list[dict[str, Any]]:
    """Per group: the number of events (or of incidents, under the key `incidents`, for that
    subject) and the summed count, killed and injured (nulls count as nothing; an incident's are its
    reconciled values). Groups come sorted by their keys; with no `group_by` there is one overall row."""
    t = subject.table
    keys = {"day": _day(conn.dialect.name, subject.time), "admin1": t.c.admin1_code, "country": t.c.country_code,
            "type": t.c.type, "weapon": t.c.weapon}
    cols = [keys[g].label(g) for g in group_by]
    metrics = [func.count().label(subject.name),
               *(func.coalesce(func.sum(t.c[m]), 0).label(m) for m in ("count", "killed", "injured"))]
    q = select(*cols, *metrics).select_from(t).where(*where(flt, conn.dialect.name, subject))
    if cols:
        q = q.group_by(*(literal_column(g) if conn.dialect.name == "sqlite" else keys[g] for g in group_by))
        q = q.order_by(*(keys[g].asc().nulls_first() if conn.dialect.name != "sqlite" else literal_column(g)
                         for g in group_by))
    result = conn.execute(q)
    names = list(result.keys())
    return [dict(zip(names, r, strict=True)) for r in result.all()]  # all(): one fetch, not one per row


def _day(dialect: str, at: ColumnElement[Any]) -> Any:
    if dialect == "sqlite":  # stored as text, 'YYYY-MM-DD HH:MM:SS.ffffff'
        return func.substr(cast(at, String), 1, 10)
    return func.to_char(func.timezone("UTC", at), "YYYY-MM-DD")


def get_event(conn: Connection, event_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(events.c.body).where(events.c.id == event_id)).first()
    return _body(row.body) if row else None


def get_article(conn: Connection, article_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(articles).where(articles.c.id == article_id)).mappings().first()
    if row is None:
        return None
    evs = conn.execute(select(events.c.body).where(events.c.article_id == article_id).order_by(events.c.seq)).all()
    out = {k: row[k] for k in ("id", "status", "error", "language", "title", "url", "source", "text",
                              "published_at", "received_at", "processed_at", "version", "origin", "channel",
                              "author", "fetched_at", "detected_language", "language_confidence",
                              "near_duplicate_of")}
    out["events"] = [_body(e.body) for e in evs]
    return out


def _body(body: Any) -> dict[str, Any]:
    return json.loads(body) if isinstance(body, str) else body


def get_incident(conn: Connection, incident_id: str) -> dict[str, Any] | None:
    """The incident with its claims (in the order its message gave them)."""
    row = conn.execute(select(incidents.c.body).where(incidents.c.id == incident_id)).first()
    if row is None:
        return None
    out = _body(row.body)
    claims = conn.execute(select(incident_claims.c.body).where(incident_claims.c.incident_id == incident_id)
                          .order_by(incident_claims.c.position)).all()
    out["claims"] = [_body(c.body) for c in claims]
    return out
