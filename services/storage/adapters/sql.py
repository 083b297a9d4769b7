"""SqlIncidentStore: the incident store through SQLAlchemy Core, on SQLite or PostgreSQL.

Every write is an upsert keyed by natural ids (article id, event id), so a redelivered message
rewrites the same rows instead of adding new ones. Connection-level database errors surface as
TransientError, which the runner retries with backoff and never commits as done."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError

from services.storage.adapters.incidents import ClaimWrites, write_incidents
from shared.db import chunks
from shared.db import make_engine as make_engine  # re-exported for storage's app and tests
from shared.kafka.errors import TransientError
from shared.messages import Article, GeocodedArticle, IncidentEvent
from shared.messages.incidents import Incident
from shared.store.tables import articles, events, incidents

T = TypeVar("T")


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
        self._upserts: dict[tuple[str, tuple[str, ...]], Any] = {}  # built once per row shape
        self._claims = ClaimWrites()

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
        await self.record_received_many([article])

    async def record_received_many(self, batch: Sequence[Article]) -> None:
        if batch:
            await self._run(lambda: self._received_many(batch))

    async def record_geocoded(self, result: GeocodedArticle) -> int:
        [version] = await self.record_geocoded_many([result])
        return version

    async def record_geocoded_many(self, results: Sequence[GeocodedArticle]) -> list[int]:
        return await self._run(lambda: self._geocoded_many(results)) if results else []

    async def record_failed(self, article_id: str, reason: str, version: int = 1) -> int:
        return await self._run(lambda: self._failed(article_id, reason, version))

    async def record_incidents(self, batch: Sequence[Incident]) -> list[str]:
        return await self._run(lambda: self._incidents(batch)) if batch else []

    def _incidents(self, batch: Sequence[Incident]) -> list[str]:
        with self.engine.begin() as conn:
            return write_incidents(conn, batch, _now(), self._incident_upsert, self._claims)

    def _incident_upsert(self, row: dict[str, Any]) -> Any:
        """The incident upsert: every column but seq and stored_at takes the new value, and only
        for a higher version (so a late older state loses even against a concurrent writer)."""
        key = ("incidents", tuple(row))
        if key not in self._upserts:
            stmt = self.insert(incidents)
            self._upserts[key] = stmt.on_conflict_do_update(
                index_elements=[incidents.c.id],
                set_={k: stmt.excluded[k] for k in row if k not in ("id", "stored_at")},
                where=incidents.c.version < stmt.excluded.version)
        return self._upserts[key]

    def _received_many(self, batch: Sequence[Article]) -> None:
        """Applying the articles one by one leaves each id as its newest version (the last of
        equal ones) alone would, so only those are written: one statement per kind of change."""
        newest: dict[str, Article] = {}
        for a in batch:
            if a.id not in newest or a.version >= newest[a.id].version:
                newest[a.id] = a
        now = _now()
        new, same, newer = [], [], []
        with self.engine.begin() as conn:
            stored = _stored_versions(conn, list(newest))
            for a in newest.values():
                fields = {"title": a.title, "url": a.url, "source": a.source, "text": a.text,
                          "content_hash": a.content_hash, "published_at": a.published_at,
                          "received_at": a.received_at, "updated_at": now,
                          "channel": a.channel, "author": a.author, "fetched_at": a.fetched_at, "origin": a.origin,
                          "detected_language": a.detected_language, "language_confidence": a.language_confidence,
                          "near_duplicate_of": a.near_duplicate_of}
                version = stored.get(a.id)
                if version is None:
                    new.append({"id": a.id, "language": a.language, "event_count": 0, **fields, "status": "pending",
                                "error": None, "version": a.version})
                elif version == a.version:  # a redelivery, or received after its events: status kept
                    same.append({"b_id": a.id, **fields})
                elif version < a.version:  # a new version: pending again until its events arrive; old ones stay
                    newer.append({"b_id": a.id, **fields, "status": "pending", "error": None, "version": a.version})
                # else: an older version arriving late
            if new:
                conn.execute(self._upsert(articles, new[0], keep=("id", "language", "event_count")), new)
            for rows in (same, newer):
                if rows:
                    conn.execute(update(articles).where(articles.c.id == bindparam("b_id")), rows)

    def _geocoded_many(self, results: Sequence[GeocodedArticle]) -> list[int]:
        """Each result replaces its article's events and marks it processed unless the store (or
        an earlier result in the batch) holds a newer version; returns the version held after
        each. Only the set that ends up in place is written per article."""
        now = _now()
        held: list[int] = []
        winners: dict[str, GeocodedArticle] = {}
        with self.engine.begin() as conn:
            current = _stored_versions(conn, list({r.article_id for r in results}))
            for r in results:
                stored = current.get(r.article_id)
                if stored is not None and stored > r.version:
                    held.append(stored)  # superseded: a newer version's events are already in place
                    continue
                current[r.article_id] = r.version
                winners[r.article_id] = r
                held.append(r.version)
            if winners:
                self._replace_events(conn, list(winners.values()), now)
        return held

    def _replace_events(self, conn: Connection, results: list[GeocodedArticle], now: datetime) -> None:
        # A withdrawn report (its source deleted it) is retracted: no events, its row kept.
        arts = [{"id": r.article_id, "source": r.source, "published_at": r.published_at,
                 "status": "retracted" if r.withdrawn else "processed",
                 "error": None, "language": r.language, "processed_at": now, "updated_at": now,
                 "event_count": len(r.events), "version": r.version} for r in results]
        conn.execute(self._upsert(articles, arts[0], keep=("id", "source", "published_at")), arts)
        rows = {ev.id: event_row(ev, now) for r in results for ev in r.events}
        # The complete set replaces the previous one, which also removes the retracted events.
        for part in chunks(results, 200):
            keep = [ev.id for r in part for ev in r.events]
            conn.execute(delete(events).where(events.c.article_id.in_([r.article_id for r in part]),
                                              events.c.id.not_in(keep)))
        if rows:
            first = next(iter(rows.values()))
            conn.execute(self._upsert(events, first, keep=("id", "stored_at")), list(rows.values()))

    def _upsert(self, table: Table, row: dict[str, Any], *, keep: tuple[str, ...]) -> Any:
        """INSERT of rows shaped like `row`; on a conflict on `id` every other column but `keep`
        takes the new value (executemany: one statement for all the rows)."""
        key = (table.name, tuple(k for k in row if k not in keep))
        if key not in self._upserts:
            stmt = self.insert(table)
            self._upserts[key] = stmt.on_conflict_do_update(index_elements=[table.c.id],
                                                            set_={k: stmt.excluded[k] for k in key[1]})
        return self._upserts[key]

    def _failed(self, article_id: str, reason: str, version: int) -> int:
        now = _now()
        with self.engine.begin() as conn:
            found = conn.execute(select(articles.c.status, articles.c.version)
                                 .where(articles.c.id == article_id)).first()
            if found is None:
                conn.execute(articles.insert().values(id=article_id, status="failed", error=reason,
                                                      updated_at=now, event_count=0, version=version))
                return version
            if found.version > version or (found.version == version and found.status in ("processed", "retracted")):
                return found.version
            conn.execute(update(articles).where(articles.c.id == article_id)
                         .values(status="failed", error=reason, updated_at=now, version=version))
            return version


def _stored_versions(conn: Connection, ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in chunks(ids):
        out.update((row.id, row.version) for row in conn.execute(
            select(articles.c.id, articles.c.version).where(articles.c.id.in_(part))))
    return out
