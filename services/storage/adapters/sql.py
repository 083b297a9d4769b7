"""SqlIncidentStore: the incident store through SQLAlchemy Core, on SQLite or PostgreSQL.

Every write is an upsert keyed by natural ids (article id, event id), so a redelivered message
rewrites the same rows instead of adding new ones. Connection-level database errors surface as
TransientError, which the runner retries with backoff and never commits as done."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.kafka.errors import TransientError
from shared.messages import Article, GeocodedArticle, IncidentEvent
from shared.store.tables import articles, events

T = TypeVar("T")


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers (the gateway) never block the writer
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True)


def _insert(engine: Engine) -> Callable[..., Any]:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def _now() -> datetime:
    return datetime.now(UTC)


def event_row(ev: IncidentEvent, stored_at: datetime) -> dict[str, Any]:
    loc = ev.location
    occurred = ev.occurred_at
    return {
        "id": ev.id, "article_id": ev.article_id, "type": ev.type, "weapon": ev.weapon,
        "count": ev.count, "killed": ev.killed, "injured": ev.injured, "damage": ev.damage,
        "claimed_by": ev.claimed_by, "country_code": loc.country_code, "admin1_code": loc.admin1_code,
        "admin2": loc.admin2, "precision": loc.precision, "lat": loc.lat, "lon": loc.lon,
        "occurred_start": occurred.start if occurred else None,
        "occurred_end": occurred.end if occurred else None,
        "published_at": ev.published_at, "stored_at": stored_at,
        "body": ev.model_dump(mode="json"),
    }


class SqlIncidentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.insert = _insert(engine)

    async def _run(self, fn: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(fn)
        except OperationalError as err:
            raise TransientError(f"database unavailable: {err.orig!r}") from err
        except DBAPIError as err:
            if err.connection_invalidated:
                raise TransientError(f"database connection lost: {err.orig!r}") from err
            raise

    async def record_received(self, article: Article) -> None:
        await self._run(lambda: self._received(article))

    async def record_geocoded(self, result: GeocodedArticle) -> None:
        await self._run(lambda: self._geocoded(result))

    async def record_failed(self, article_id: str, reason: str) -> None:
        await self._run(lambda: self._failed(article_id, reason))

    def _received(self, a: Article) -> None:
        now = _now()
        fields = {"title": a.title, "url": a.url, "source": a.source, "text": a.text,
                  "content_hash": a.content_hash, "published_at": a.published_at,
                  "received_at": a.received_at, "updated_at": now}
        stmt = self.insert(articles).values(id=a.id, status="pending", language=a.language, event_count=0, **fields)
        stmt = stmt.on_conflict_do_update(index_elements=[articles.c.id], set_=fields)  # status kept
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def _geocoded(self, r: GeocodedArticle) -> None:
        now = _now()
        rows = [event_row(ev, now) for ev in r.events]
        keep = [row["id"] for row in rows]
        status = {"status": "processed", "error": None, "language": r.language, "processed_at": now,
                  "updated_at": now, "event_count": len(rows)}
        with self.engine.begin() as conn:
            art = self.insert(articles).values(id=r.article_id, source=r.source, published_at=r.published_at, **status)
            conn.execute(art.on_conflict_do_update(index_elements=[articles.c.id], set_=status))
            conn.execute(delete(events).where(events.c.article_id == r.article_id, events.c.id.not_in(keep)))
            for row in rows:
                stmt = self.insert(events).values(**row)
                changed = {k: v for k, v in row.items() if k not in ("id", "stored_at")}
                conn.execute(stmt.on_conflict_do_update(index_elements=[events.c.id], set_=changed))

    def _failed(self, article_id: str, reason: str) -> None:
        now = _now()
        with self.engine.begin() as conn:
            found = conn.execute(select(articles.c.status).where(articles.c.id == article_id)).scalar_one_or_none()
            if found is None:
                conn.execute(articles.insert().values(id=article_id, status="failed", error=reason,
                                                      updated_at=now, event_count=0))
            elif found != "processed":
                conn.execute(update(articles).where(articles.c.id == article_id)
                             .values(status="failed", error=reason, updated_at=now))
