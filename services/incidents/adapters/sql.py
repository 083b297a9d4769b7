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
from collections.abc import Callable, MutableMapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from cachetools import LRUCache
from sqlalchemy import Connection, Engine, bindparam, delete, event, insert, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from services.incidents.adapters.tables import applied, claims, incidents, metadata, routes
from services.incidents.engine import incident_window
from services.incidents.ports import Applied, Route, RoutePlan
from services.incidents.rules import Rules
from shared.db import chunks, make_engine
from shared.kafka.errors import TransientError
from shared.messages import GeocodedArticle, Incident, RegionClaims, derived_id

T = TypeVar("T")


def make_state_engine(url: str) -> Engine:
    """The engine for the state store, its tables created when missing (under a lock: workers start
    together). On SQLite every transaction begins IMMEDIATE (takes the write lock at once), so two
    workers sharing the file never interleave a read-decide-write."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _autocommit(dbapi_conn: Any, _: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    with engine.begin() as conn:  # workers starting together create the tables one at a time
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key("incstate:tables")})
        metadata.create_all(conn)
    return engine


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31  # a signed 32-bit key for pg_advisory_xact_lock


class _Statements:
    """The workspace's statements, built once per store (building a SQLAlchemy statement costs more
    than running it on SQLite)."""

    def __init__(self) -> None:
        c, cl, ap = incidents.c, claims.c, applied.c
        one = (ap.region == bindparam("r"), ap.article_id == bindparam("a"))
        self.applied = select(ap.version, ap.touched).where(*one)
        self.update_applied = update(applied).where(*one).values(version=bindparam("v"), touched=bindparam("t"))
        self.insert_applied = insert(applied).values(region=bindparam("r"), article_id=bindparam("a"),
                                                     version=bindparam("v"), touched=bindparam("t"))
        held = select(cl.incident_id).where(cl.region == bindparam("r"), cl.article_id == bindparam("a"))
        self.holding = select(c.id, c.version).where(c.id.in_(held)).order_by(c.id)
        self.candidates = select(c.id, c.version).where(
            c.region == bindparam("r"), c.status == "active", c.type == bindparam("ty"), c.weapon == bindparam("w"),
            c.window_end >= bindparam("s"), c.window_start <= bindparam("e"))
        self.get = select(c.id, c.version).where(c.id == bindparam("i"))
        self.bodies = select(c.id, c.body).where(c.id.in_(bindparam("ids", expanding=True)))
        fields = ("region", "type", "weapon", "status", "window_start", "window_end", "version", "body")
        self.update = update(incidents).where(c.id == bindparam("b_id")).values({f: bindparam(f) for f in fields})
        self.insert = insert(incidents)
        self.drop_claims = delete(claims).where(cl.incident_id == bindparam("i"),
                                                cl.event_id.in_(bindparam("e", expanding=True)))
        self.insert_claims = insert(claims)
        # A consumer batch's reads, ahead of its work (see `_Tx.read_ahead`).
        self.applied_ahead = select(ap.region, ap.article_id, ap.version, ap.touched).where(
            ap.region.in_(bindparam("rs", expanding=True)), ap.article_id.in_(bindparam("as", expanding=True)))
        self.holding_ahead = select(cl.region, cl.article_id, c.id, c.version).join(
            incidents, c.id == cl.incident_id).where(
            cl.region.in_(bindparam("rs", expanding=True)), cl.article_id.in_(bindparam("as", expanding=True)))
        self.versions = select(c.id, c.version).where(c.id.in_(bindparam("ids", expanding=True)))
        r = routes.c
        self.routes = select(r.article_id, r.version, r.regions, r.sent).where(
            r.article_id.in_(bindparam("ids", expanding=True)))
        self.insert_route = insert(routes)
        self.update_route = update(routes).where(r.article_id == bindparam("b_article_id")).values(
            version=bindparam("version"), regions=bindparam("regions"), sent=bindparam("sent"))


class _Tx:
    """What one transaction has read and changed. The region's lock keeps every other writer out
    meanwhile, so what it read stays true; its changes are written once, at the end (`flush`): a
    batch of reports about one incident rewrites it once, not once per report."""

    def __init__(self, cache: MutableMapping[str, Incident]) -> None:
        self.cache = cache  # incidents as last committed, across transactions (checked by version)
        self.seen: dict[str, Incident | None] = {}  # the current state by id (None: no such incident)
        self.stored: dict[str, set[str] | None] = {}  # changed ids -> claim event ids in the store (None: new)
        self.dirty: dict[str, tuple[str, Incident]] = {}  # id -> (region, state to write)
        self.written: list[Incident] = []  # flushed: into the cache once the transaction commits
        # Read ahead for the batch (`read_ahead`): what the store held when the transaction began.
        self.applied: dict[tuple[str, str], Applied | None] = {}  # (region, article) -> applied (None: none)
        self.holding: dict[tuple[str, str], list[Any]] = {}  # (region, article) -> (id, version) rows
        self.versions: dict[str, Any] = {}  # incident id -> its (id, version) row, None when no such incident
        self.applied_dirty: dict[tuple[str, str], Applied] = {}  # to write at the end

    def read_ahead(self, conn: Connection, sql: _Statements, ahead: Sequence[RegionClaims]) -> None:
        """What the batch's reports will ask of the store, read in a few statements instead of a
        few per report: each report's applied version and the incidents holding its claims in its
        region, and whether the incidents its events would start exist (a retracted one keeps its
        id). Taken after the regions' locks, before any write, so it is what per-report reads
        would have found; the workspace lays the transaction's own changes over it."""
        keys = {(rc.region, rc.article_id) for rc in ahead}
        regions, articles = sorted({r for r, _ in keys}), sorted({a for _, a in keys})
        self.applied.update(dict.fromkeys(keys))
        self.holding.update({k: [] for k in keys})
        for chunk in chunks(articles, 400):
            params = {"rs": regions, "as": chunk}
            for row in conn.execute(sql.applied_ahead, params):
                if (row.region, row.article_id) in keys:
                    self.applied[(row.region, row.article_id)] = Applied(row.version, list(row.touched))
            for row in conn.execute(sql.holding_ahead, params):
                if (row.region, row.article_id) in keys:
                    self.holding[(row.region, row.article_id)].append(row)
        ids = sorted({derived_id("incident", ev.id) for rc in ahead for ev in rc.events})
        self.versions.update(dict.fromkeys(ids))
        for chunk in chunks(ids, 400):
            self.versions.update((row.id, row) for row in conn.execute(sql.versions, {"ids": chunk}))


class SqlWorkspace:
    """One region's state in one transaction (see `_Tx`)."""

    def __init__(self, conn: Connection, region: str, rules: Rules, sql: _Statements, tx: _Tx) -> None:
        self.conn, self.region, self.rules, self.sql, self.tx = conn, region, rules, sql, tx

    def applied(self, article_id: str) -> Applied | None:
        key = (self.region, article_id)
        if key in self.tx.applied_dirty:
            return self.tx.applied_dirty[key]
        if key not in self.tx.applied:
            row = self.conn.execute(self.sql.applied, {"r": self.region, "a": article_id}).first()
            self.tx.applied[key] = Applied(row.version, list(row.touched)) if row else None
        return self.tx.applied[key]

    def set_applied(self, article_id: str, done: Applied) -> None:
        self.tx.applied_dirty[(self.region, article_id)] = done  # written at the end (`flush`)

    def _load(self, rows: Any) -> list[Incident]:
        """The incidents of these (id, version) rows: this transaction's state when it has one, else
        the one parsed before if the store still holds that version, else parsed from the store.
        Parsing a large incident's JSON is most of a report's cost; the region's owner seldom needs to."""
        rows = list(rows)
        missing = []
        for row in rows:
            if row.id in self.tx.seen:
                continue
            cached = self.tx.cache.get(row.id)
            if cached is not None and cached.version == row.version:
                self.tx.seen[row.id] = cached
            else:
                missing.append(row.id)
        if missing:
            for row in self.conn.execute(self.sql.bodies, {"ids": missing}):
                self.tx.seen[row.id] = Incident.model_validate_json(row.body)
        return [i for i in (self.tx.seen.get(row.id) for row in rows) if i is not None]

    def _changed_here(self) -> list[Incident]:
        return [i for region, i in self.tx.dirty.values() if region == self.region]

    def holding(self, article_id: str) -> list[Incident]:
        rows = self.tx.holding.get((self.region, article_id))
        if rows is None:
            rows = list(self.conn.execute(self.sql.holding, {"r": self.region, "a": article_id}))
        found = {i.id: i for i in self._load(rows)}
        for incident in self._changed_here():  # the store's claim index is as it was before this transaction
            if any(c.article_id == article_id for c in incident.claims):
                found[incident.id] = incident
            else:
                found.pop(incident.id, None)
        return [found[i] for i in sorted(found)]

    def candidates(self, type_: str, weapon: str, start: datetime, end: datetime) -> list[Incident]:
        params = {"r": self.region, "ty": type_, "w": weapon, "s": start, "e": end}
        found = {i.id: i for i in self._load(self.conn.execute(self.sql.candidates, params))}
        found.update({i.id: i for i in self._changed_here()})  # more than asked for: the engine checks again
        return list(found.values())

    def get(self, incident_id: str) -> Incident | None:
        if incident_id not in self.tx.seen:
            if incident_id in self.tx.versions:  # read ahead
                row = self.tx.versions[incident_id]
                found = self._load([row] if row is not None else [])
            else:
                found = self._load(self.conn.execute(self.sql.get, {"i": incident_id}))
            self.tx.seen[incident_id] = found[0] if found else None
        return self.tx.seen[incident_id]

    def put(self, incident: Incident) -> None:
        if incident.id not in self.tx.stored:
            before = self.get(incident.id)
            self.tx.stored[incident.id] = {c.event_id for c in before.claims} if before else None
        self.tx.seen[incident.id] = incident
        self.tx.dirty[incident.id] = (self.region, incident)

    def flush(self) -> None:
        """Write every incident the transaction changed, and the changes to the claim index (all
        removals before any addition: a claim may move from one incident to another)."""
        added: list[dict[str, str]] = []
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for incident_id, (region, incident) in self.tx.dirty.items():
            window = incident_window(incident, self.rules)
            values = {"region": region, "type": incident.type, "weapon": incident.weapon,
                      "status": incident.status, "window_start": window[0] if window else None,
                      "window_end": window[1] if window else None, "version": incident.version,
                      "body": incident.model_dump_json()}
            before = self.tx.stored[incident_id]
            if before is None:
                inserts.append({"id": incident_id, **values})
            else:
                updates.append({"b_id": incident_id, **values})
            now = {c.event_id: c for c in incident.claims}
            gone = sorted((before or set()) - set(now))
            if gone:
                self.conn.execute(self.sql.drop_claims, {"i": incident_id, "e": gone})
            added.extend({"event_id": e, "article_id": now[e].article_id, "region": region, "incident_id": incident_id}
                         for e in sorted(set(now) - (before or set())))
        for statement, rows in ((self.sql.insert, inserts), (self.sql.update, updates),
                                (self.sql.insert_claims, added)):
            if rows:
                self.conn.execute(statement, rows)
        self._flush_applied()
        self.tx.written.extend(i for _, i in self.tx.dirty.values())
        self.tx.dirty.clear()
        self.tx.stored.clear()

    def _flush_applied(self) -> None:
        """The reports' applied versions: an update where the store holds one, else an insert."""
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for key, done in self.tx.applied_dirty.items():
            params = {"r": key[0], "a": key[1], "v": done.version, "t": done.touched}
            if key not in self.tx.applied:  # never read here (not the engine's way): ask the store
                if self.conn.execute(self.sql.update_applied, params).rowcount == 0:
                    self.conn.execute(self.sql.insert_applied, params)
            else:
                (inserts if self.tx.applied[key] is None else updates).append(params)
        for statement, rows in ((self.sql.insert_applied, inserts), (self.sql.update_applied, updates)):
            if rows:
                self.conn.execute(statement, rows)
        self.tx.applied.update(self.tx.applied_dirty)
        self.tx.applied_dirty.clear()


class SqlState:
    """IncidentState on SQLAlchemy (see the module docstring)."""

    def __init__(self, engine: Engine, rules: Rules | None = None, cache_claims: int = 20_000) -> None:
        self.engine = engine
        self.rules = rules or Rules()
        self.sql = _Statements()
        self.cache_claims = cache_claims
        # Parsed incidents by id, used while the store holds the same version (a region's owner
        # wrote it); bounded by the claims it holds (an incident weighs its claims), least recently
        # used out.
        self.cache: MutableMapping[str, Incident] = LRUCache(maxsize=cache_claims,
                                                             getsizeof=lambda i: len(i.claims) + 1)

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

    async def in_regions(self, work: Sequence[tuple[str, Callable[[SqlWorkspace], T]]],
                         ahead: Sequence[RegionClaims] = ()) -> list[T]:
        """One transaction; the regions' locks taken up front in sorted order (no deadlock); then
        what `ahead` (the reports the work applies) will read, in a few statements."""
        def run() -> list[T]:
            with self.engine.begin() as conn:
                for region in sorted({r for r, _ in work}):
                    self._lock(conn, f"region:{region}")
                tx = _Tx(self.cache)
                if ahead:
                    tx.read_ahead(conn, self.sql, ahead)
                out = [fn(SqlWorkspace(conn, region, self.rules, self.sql, tx)) for region, fn in work]
                SqlWorkspace(conn, "", self.rules, self.sql, tx).flush()
            for incident in tx.written:  # committed
                if len(incident.claims) < self.cache_claims:  # (LRUCache refuses what exceeds it whole)
                    self.cache[incident.id] = incident
                else:
                    self.cache.pop(incident.id, None)
            return out
        return await self._run(run)

    async def route(self, article: GeocodedArticle, plan: RoutePlan) -> Sequence[RegionClaims]:
        [out] = await self.route_many([(article, plan)])
        return out

    async def route_many(self, work: Sequence[tuple[GeocodedArticle, RoutePlan]]) -> list[Sequence[RegionClaims]]:
        """One transaction: the batch's routes read in one statement, planned in order (a report
        twice in the batch sees its first plan's route), the changed ones written at the end."""
        def run() -> list[Sequence[RegionClaims]]:
            ids = sorted({a.article_id for a, _ in work})
            with self.engine.begin() as conn:
                for article_id in ids:
                    self._lock(conn, f"article:{article_id}")
                last: dict[str, Route] = {}
                for chunk in chunks(ids, 400):
                    last.update((r.article_id, Route(r.version, list(r.regions), list(r.sent)))
                                for r in conn.execute(self.sql.routes, {"ids": chunk}))
                stored, changed, out = set(last), {}, []
                for article, plan in work:
                    route, messages = plan(last.get(article.article_id))
                    if route is not None:
                        last[article.article_id] = changed[article.article_id] = route
                    out.append(messages)
                self._write_routes(conn, changed, stored)
                return out
        return await self._run(run)

    def _write_routes(self, conn: Connection, changed: dict[str, Route], stored: set[str]) -> None:
        rows = [{"article_id": a, "version": r.version, "regions": r.regions, "sent": r.sent}
                for a, r in changed.items()]
        inserts = [row for row in rows if row["article_id"] not in stored]
        updates = [{**row, "b_article_id": row["article_id"]} for row in rows if row["article_id"] in stored]
        for statement, params in ((self.sql.insert_route, inserts), (self.sql.update_route, updates)):
            if params:
                conn.execute(statement, params)

    def incidents(self) -> list[Incident]:
        """Every incident held (for tests and the rebuild check)."""
        with self.engine.connect() as conn:
            return [Incident.model_validate_json(r.body) for r in conn.execute(select(incidents.c.body))]
