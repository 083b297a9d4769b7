"""Read queries over the incident store. Keyword-only arguments; no HTTP here."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from shared.store.tables import articles, events


class BadCursor(ValueError):
    pass


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": seq}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        seq = json.loads(raw)["s"]
        if not isinstance(seq, int) or seq < 0:
            raise ValueError
        return seq
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BadCursor("cursor is not one this API returned") from err


@dataclass(frozen=True)
class EventFilter:
    article_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    type: str | None = None
    weapon: str | None = None
    country: str | None = None
    admin1: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat


def list_events(
    conn: Connection, *, flt: EventFilter, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Events in the order they were stored (stable under concurrent inserts: new rows only ever
    come after the cursor). Returns the page and the next cursor, or None at the end."""
    when = func.coalesce(events.c.occurred_start, events.c.published_at, events.c.stored_at)
    q = select(events.c.seq, events.c.body).order_by(events.c.seq).limit(limit + 1)
    if cursor:
        q = q.where(events.c.seq > decode_cursor(cursor))
    if flt.article_id:
        q = q.where(events.c.article_id == flt.article_id)
    if flt.since:
        q = q.where(when >= flt.since)
    if flt.until:
        q = q.where(when < flt.until)
    if flt.type:
        q = q.where(events.c.type == flt.type)
    if flt.weapon:
        q = q.where(events.c.weapon == flt.weapon)
    if flt.country:
        q = q.where(events.c.country_code == flt.country.upper())
    if flt.admin1:
        q = q.where(events.c.admin1_code == flt.admin1.upper())
    if flt.bbox:
        min_lon, min_lat, max_lon, max_lat = flt.bbox
        q = q.where(events.c.lon.between(min_lon, max_lon), events.c.lat.between(min_lat, max_lat))
    rows = conn.execute(q).all()
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].seq) if len(rows) > limit else None
    return [_body(r.body) for r in page], next_cursor


def get_event(conn: Connection, event_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(events.c.body).where(events.c.id == event_id)).first()
    return _body(row.body) if row else None


def get_article(conn: Connection, article_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(articles).where(articles.c.id == article_id)).mappings().first()
    if row is None:
        return None
    evs = conn.execute(select(events.c.body).where(events.c.article_id == article_id).order_by(events.c.seq)).all()
    out = {k: row[k] for k in ("id", "status", "error", "language", "title", "url", "source", "text",
                              "published_at", "received_at", "processed_at")}
    out["events"] = [_body(e.body) for e in evs]
    return out


def _body(body: Any) -> dict[str, Any]:
    return json.loads(body) if isinstance(body, str) else body
