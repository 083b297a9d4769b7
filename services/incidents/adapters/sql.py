"""The incidents state in SQL (SQLAlchemy Core; a SQLite file by default, PostgreSQL by URL).

One region's work runs in one transaction that first takes the region's lock, so that even while
a partition changes hands (the old owner finishing a batch as the new one starts) two writers of
one region run one after the other and each sees what the other committed: on PostgreSQL a
transaction-scoped advisory lock on the region; on SQLite `BEGIN IMMEDIATE` (one writer at a
time for the whole file). Connection-level errors surface as TransientError, which the runner
retries and never commits as done."""
from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, and_, delete, event, insert, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from services.incidents.adapters.tables import applied, claims, incidents, metadata, routes
from services.incidents.engine import incident_window
from services.incidents.ports import Applied, Route, RoutePlan
from services.incidents.rules import Rules
from shared.db import make_engine
from shared.kafka.errors import TransientError
from shared.messages import GeocodedArticle, Incident, RegionClaims

T = TypeVar("T")


def make_state_engine(url: str) -> Engine:
    """The engine for the state store, its tables created when missing. On SQLite every
    transaction begins IMMEDIATE (takes the write lock at once), so two workers sharing the file
    never interleave a read-decide-write."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _autocommit(dbapi_conn: Any, _: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    metadata.create_all(engine)
    return engine


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31  # a signed 32-bit key for pg_advisory_xact_lock


class SqlWorkspace:
    def __init__(self, conn: Connection, region: str, rules: Rules) -> None:
        self.conn, self.region, self.rules = conn, region, rules

    def applied(self, article_id: str) -> Applied | None:
        row = self.conn.execute(select(applied.c.version, applied.c.touched).where(
            applied.c.region == self.region, applied.c.article_id == article_id)).first()
        return Applied(row.version, list(row.touched)) if row else None

    def set_applied(self, article_id: str, done: Applied) -> None:
        where = and_(applied.c.region == self.region, applied.c.article_id == article_id)
        if self.conn.execute(update(applied).where(where).values(version=done.version,
                                                                 touched=done.touched)).rowcount == 0:
            self.conn.execute(insert(applied).values(region=self.region, article_id=article_id,
                                                     version=done.version, touched=done.touched))

    def holding(self, article_id: str) -> list[Incident]:
        ids = select(claims.c.incident_id).where(claims.c.region == self.region, claims.c.article_id == article_id)
        rows = self.conn.execute(select(incidents.c.body).where(incidents.c.id.in_(ids)).order_by(incidents.c.id))
        return [Incident.model_validate(r.body) for r in rows]

    def candidates(self, type_: str, weapon: str, start: datetime, end: datetime) -> list[Incident]:
        c = incidents.c
        rows = self.conn.execute(select(c.body).where(
            c.region == self.region, c.status == "active", c.type == type_, c.weapon == weapon,
            c.window_end >= start, c.window_start <= end))
        return [Incident.model_validate(r.body) for r in rows]

    def get(self, incident_id: str) -> Incident | None:
        row = self.conn.execute(select(incidents.c.body).where(incidents.c.id == incident_id)).first()
        return Incident.model_validate(row.body) if row else None

    def put(self, incident: Incident) -> None:
        window = incident_window(incident, self.rules)
        values = {"region": self.region, "type": incident.type, "weapon": incident.weapon,
                  "status": incident.status, "window_start": window[0] if window else None,
                  "window_end": window[1] if window else None, "version": incident.version,
                  "body": incident.model_dump(mode="json")}
        if self.conn.execute(update(incidents).where(incidents.c.id == incident.id).values(**values)).rowcount == 0:
            self.conn.execute(insert(incidents).values(id=incident.id, **values))
        self.conn.execute(delete(claims).where(claims.c.incident_id == incident.id))
        if incident.claims:
            self.conn.execute(insert(claims), [
                {"event_id": cl.event_id, "article_id": cl.article_id, "region": self.region,
                 "incident_id": incident.id} for cl in incident.claims])


class SqlState:
    """IncidentState on SQLAlchemy (see the module docstring)."""

    def __init__(self, engine: Engine, rules: Rules | None = None) -> None:
        self.engine = engine
        self.rules = rules or Rules()

    async def _run(self, fn: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(fn)
        except OperationalError as err:
            raise TransientError(f"state store unavailable: {err.orig!r}") from err
        except DBAPIError as err:
            if err.connection_invalidated:
                raise TransientError(f"state store connection lost: {err.orig!r}") from err
            raise

    def _lock(self, conn: Connection, name: str) -> None:
        if self.engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(name)})

    async def in_region(self, region: str, work: Callable[[SqlWorkspace], T]) -> T:
        [out] = await self.in_regions([(region, work)])
        return out

    async def in_regions(self, work: Sequence[tuple[str, Callable[[SqlWorkspace], T]]]) -> list[T]:
        """One transaction; the regions' locks taken up front in sorted order (no deadlock)."""
        def run() -> list[T]:
            with self.engine.begin() as conn:
                for region in sorted({r for r, _ in work}):
                    self._lock(conn, f"region:{region}")
                return [fn(SqlWorkspace(conn, region, self.rules)) for region, fn in work]
        return await self._run(run)

    async def route(self, article: GeocodedArticle, plan: RoutePlan) -> Sequence[RegionClaims]:
        [out] = await self.route_many([(article, plan)])
        return out

    async def route_many(self, work: Sequence[tuple[GeocodedArticle, RoutePlan]]) -> list[Sequence[RegionClaims]]:
        def run() -> list[Sequence[RegionClaims]]:
            with self.engine.begin() as conn:
                for article_id in sorted({a.article_id for a, _ in work}):
                    self._lock(conn, f"article:{article_id}")
                return [self._route(conn, article, plan) for article, plan in work]
        return await self._run(run)

    def _route(self, conn: Connection, article: GeocodedArticle, plan: RoutePlan) -> Sequence[RegionClaims]:
        row = conn.execute(select(routes).where(routes.c.article_id == article.article_id)).first()
        last = Route(row.version, list(row.regions), list(row.sent)) if row else None
        route, messages = plan(last)
        if route is not None:
            values = {"version": route.version, "regions": route.regions, "sent": route.sent}
            if row is None:
                conn.execute(insert(routes).values(article_id=article.article_id, **values))
            else:
                conn.execute(update(routes).where(routes.c.article_id == article.article_id).values(**values))
        return messages

    def incidents(self) -> list[Incident]:
        """Every incident held (for tests and the rebuild check)."""
        with self.engine.connect() as conn:
            return [Incident.model_validate(r.body) for r in conn.execute(select(incidents.c.body))]
