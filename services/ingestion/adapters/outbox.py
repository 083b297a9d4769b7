"""SqlOutbox: ingestion's durable record of every accepted report, and the outbox from which
reports are (re)published. A report is remembered before it is published, so an accepted report
is never lost to a broker outage; duplicates by id or by content hash are refused here; the same id
with a different text is the report's next version.

A row lives through: accepted (published_at null) -> published (next_attempt_at set) -> stored
(storage's receipt arrived). A published row whose receipt is overdue is re-published with a
per-row exponential backoff; after `max_attempts` publications it is given up on (gave_up_at),
counted and logged, never silently dropped. The schema is Alembic's (services/ingestion/migrations,
run when the outbox opens its database), so an outbox written by an older release is brought up to
date in place."""
from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from shared.db import chunks, make_engine
from shared.kafka.errors import TransientError
from shared.messages import ArticleReceived

T = TypeVar("T")
MAX_BACKOFF_S = 3600.0

metadata = MetaData()
outbox = Table(
    "outbox",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("message", Text, nullable=False),
    Column("published_at", DateTime(timezone=True)),
    # Added for redelivery and versions (migration 0002_redelivery).
    Column("version", Integer, nullable=False, server_default="1"),
    Column("attempts", Integer, nullable=False, server_default="0"),  # publications so far
    Column("next_attempt_at", DateTime(timezone=True)),  # re-publish if not stored by then
    Column("stored_at", DateTime(timezone=True)),  # storage's receipt arrived
    Column("gave_up_at", DateTime(timezone=True)),  # max_attempts publications, never stored
)
# Rows are kept after their receipt (they answer duplicates), so the relay's and /readyz's queries
# read only the pending ones through these (migration 0002_redelivery).
_PENDING = and_(outbox.c.stored_at.is_(None), outbox.c.gave_up_at.is_(None))
Index("ix_outbox_pending", outbox.c.received_at, outbox.c.published_at, outbox.c.next_attempt_at,
      sqlite_where=_PENDING, postgresql_where=_PENDING)
Index("ix_outbox_gave_up", outbox.c.gave_up_at, sqlite_where=outbox.c.gave_up_at.is_not(None),
      postgresql_where=outbox.c.gave_up_at.is_not(None))


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands timezone-aware columns back naive (in UTC)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class SqlOutbox:
    """All writes go through one thread (`_write`): the service's requests never wait for each
    other in SQLite's busy handler, and the read-then-write steps below cannot interleave. Reads
    run on the default pool; in WAL mode they never block the writer."""

    def __init__(self, url: str, *, redeliver_after_s: float = 60.0, max_attempts: int = 10) -> None:
        from services.ingestion.migrations import upgrade

        upgrade(url)  # creates the outbox, or brings an older one up to date
        self.engine: Engine = make_engine(url)
        self.redeliver_after_s = redeliver_after_s
        self.max_attempts = max_attempts
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="outbox-writer")

    async def _run(self, fn: Callable[[], T], *, write: bool = False) -> T:
        try:
            if write:
                return await asyncio.get_running_loop().run_in_executor(self._writer, fn)
            return await asyncio.to_thread(fn)
        except OperationalError as err:
            raise TransientError(f"outbox unavailable: {err.orig!r}") from err

    # --- accepting ---------------------------------------------------------------------------
    async def add(self, message: ArticleReceived) -> tuple[str, ArticleReceived | None]:
        """Remember the message. Returns (id, the message as kept) for a new report or a new
        version (same id, different text: `version` + 1 and `previous_text` filled in), and
        (id of the report it repeats, None) for a duplicate."""
        [result] = await self.add_many([message])
        return result

    async def add_many(self, messages: Sequence[ArticleReceived]) -> list[tuple[str, ArticleReceived | None]]:
        """`add` for each message in order, in one transaction: a later message is judged against
        the earlier ones too (the same text twice is a duplicate, the same id with another text
        the next version)."""
        return await self._run(lambda: self._add_many(messages), write=True)

    async def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        """Which of these content hashes the outbox holds (reports accepted with that text)."""
        wanted = list(set(hashes))
        return await self._run(lambda: self._known_hashes(wanted))

    def _known_hashes(self, hashes: list[str]) -> set[str]:
        with self.engine.connect() as conn:
            return {h for part in chunks(hashes) for h in conn.execute(
                select(outbox.c.content_hash).where(outbox.c.content_hash.in_(part))).scalars()}

    def _add_many(self, messages: Sequence[ArticleReceived]) -> list[tuple[str, ArticleReceived | None]]:
        return self._retrying(lambda conn: self._resolve_and_write(conn, messages))

    def _resolve_and_write(self, conn: Connection, messages: Sequence[ArticleReceived]
                           ) -> list[tuple[str, ArticleReceived | None]]:
        ids = list({m.payload.id for m in messages})
        c = outbox.c
        current: dict[str, tuple[int, str, str]] = {}  # id -> (version, text, content hash) as it stands
        by_hash: dict[str, str] = {}  # content hash -> id of the report with that text
        for part in chunks(ids):
            for row in conn.execute(select(c.id, c.version, c.content_hash, c.message).where(c.id.in_(part))):
                current[row.id] = (row.version, json.loads(row.message)["payload"]["text"], row.content_hash)
        for part in chunks(list({m.payload.content_hash for m in messages})):
            by_hash.update((row.content_hash, row.id) for row in conn.execute(
                select(c.id, c.content_hash).where(c.content_hash.in_(part))))
        stored_versions = {i: v for i, (v, _, _) in current.items()}
        inserts: dict[str, dict[str, Any]] = {}
        updates: dict[str, dict[str, Any]] = {}
        out: list[tuple[str, ArticleReceived | None]] = []
        for message in messages:
            a = message.payload
            if a.content_hash in by_hash:
                out.append((by_hash[a.content_hash], None))
                continue
            kept = message
            if a.id in current:
                version, previous, old_hash = current[a.id]
                kept = message.model_copy(update={"payload": a.model_copy(
                    update={"version": version + 1, "previous_text": previous})})
                by_hash.pop(old_hash, None)
            values = {"content_hash": a.content_hash, "received_at": a.received_at,
                      "version": kept.payload.version, "message": kept.model_dump_json()}
            if a.id in stored_versions:  # the row exists: the next version replaces it
                updates[a.id] = {**values, "published_at": None, "attempts": 0, "next_attempt_at": None,
                                 "stored_at": None, "gave_up_at": None}
            else:  # new (or a new version of a report new in this same batch)
                inserts[a.id] = {"id": a.id, **values}
            current[a.id] = (kept.payload.version, a.text, a.content_hash)
            by_hash[a.content_hash] = a.id
            out.append((a.id, kept))
        if inserts:
            conn.execute(outbox.insert(), list(inserts.values()))
        for article_id, values in updates.items():
            done = conn.execute(update(outbox).where(c.id == article_id, c.version == stored_versions[article_id])
                                .values(**values))
            if done.rowcount != 1:
                raise _Conflict(article_id)
        return out

    async def withdraw_many(self, article_ids: Sequence[str]) -> list[ArticleReceived]:
        """The source withdrew these reports (deleted posts): each known one that is not withdrawn
        already gets its next version, withdrawn, with its last text (as `text` and
        `previous_text`), to be published like any other; returns those versions. Its content hash
        becomes a marker of its own, so the same text posted again (a restored or re-posted post)
        is taken as new, not as a duplicate of the withdrawn one. Idempotent."""
        return await self._run(lambda: self._retrying(lambda conn: self._withdraw(conn, article_ids)), write=True)

    def _withdraw(self, conn: Connection, article_ids: Sequence[str]) -> list[ArticleReceived]:
        c, now, out = outbox.c, _now(), []
        for part in chunks(list(dict.fromkeys(article_ids))):
            for row in conn.execute(select(c.id, c.version, c.message).where(c.id.in_(part))).all():
                last = ArticleReceived.model_validate_json(row.message).payload
                if last.withdrawn:
                    continue
                marker = withdrawn_hash(last.id)
                payload = last.model_copy(update={
                    "version": row.version + 1, "previous_text": last.text, "withdrawn": True,
                    "content_hash": marker, "received_at": now, "near_duplicate_of": None})
                message = ArticleReceived.create(producer="ingestion", correlation_id=last.id, payload=payload)
                done = conn.execute(update(outbox).where(c.id == last.id, c.version == row.version).values(
                    content_hash=marker, received_at=now, version=row.version + 1, message=message.model_dump_json(),
                    published_at=None, attempts=0, next_attempt_at=None, stored_at=None, gave_up_at=None))
                if done.rowcount != 1:
                    raise _Conflict(last.id)
                out.append(message)
        return out

    def _retrying(self, write: Callable[[Connection], T]) -> T:
        for _ in range(5):  # another process (or engine) writing the same ids makes us re-read
            try:
                with self.engine.begin() as conn:
                    return write(conn)
            except (IntegrityError, _Conflict):
                continue
        raise TransientError("reports are being edited concurrently; try again")

    # --- publishing --------------------------------------------------------------------------
    async def mark_published(self, article_id: str, version: int) -> None:
        await self.mark_published_many([(article_id, version)])

    async def mark_published_many(self, published: Sequence[tuple[str, int]]) -> None:
        """These (id, version)s went to the broker: count the publication and set when to
        re-publish each if no receipt has come by then (doubling per publication, capped at an
        hour). A version a newer one replaced meanwhile is left alone. One UPDATE per (version,
        publications so far), so usually one."""
        if published:
            await self._run(lambda: self._mark_published_many(published), write=True)

    def _mark_published_many(self, published: Sequence[tuple[str, int]]) -> None:
        now = _now()
        wanted = set(published)
        c = outbox.c
        groups: dict[tuple[int, int], list[str]] = {}
        with self.engine.begin() as conn:
            for part in chunks(list({i for i, _ in wanted})):
                for row in conn.execute(select(c.id, c.version, c.attempts).where(c.id.in_(part))):
                    if (row.id, row.version) in wanted:
                        groups.setdefault((row.version, row.attempts), []).append(row.id)
            for (version, attempts), ids in groups.items():
                wait = min(self.redeliver_after_s * 2 ** attempts, MAX_BACKOFF_S)
                for part in chunks(ids):
                    conn.execute(update(outbox).where(c.id.in_(part), c.version == version, c.attempts == attempts)
                                 .values(published_at=now, attempts=attempts + 1,
                                         next_attempt_at=now + timedelta(seconds=wait)))

    async def due(self, older_than_s: float, limit: int = 500) -> list[ArticleReceived]:
        """What to (re)publish now: accepted but never taken by the broker for `older_than_s`, and
        published but not stored by its next attempt time. Oldest first."""
        return await self._run(lambda: self._due(older_than_s, limit))

    def _due(self, older_than_s: float, limit: int) -> list[ArticleReceived]:
        now = _now()
        cutoff = now - timedelta(seconds=older_than_s)
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.message).where(_pending(), or_(
                and_(outbox.c.published_at.is_(None), outbox.c.received_at < cutoff),
                and_(outbox.c.published_at.is_not(None), outbox.c.next_attempt_at <= now),
            )).order_by(outbox.c.received_at).limit(limit)).all()
        return [ArticleReceived.model_validate(json.loads(r.message)) for r in rows]

    async def give_up(self, article_id: str, version: int) -> bool:
        """Stop re-publishing a version that was published `max_attempts` times and never stored.
        Returns whether it was given up (False: not yet at the limit)."""
        return await self._run(lambda: self._give_up(article_id, version), write=True)

    def _give_up(self, article_id: str, version: int) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(update(outbox).where(outbox.c.id == article_id, outbox.c.version == version,
                                                     outbox.c.attempts >= self.max_attempts, _pending())
                                .values(gave_up_at=_now()))
            return done.rowcount == 1

    # --- receipts ----------------------------------------------------------------------------
    async def mark_stored(self, article_id: str, version: int) -> bool:
        """Storage holds this version (or a newer one): retire the row. Idempotent; returns whether
        a pending row was retired."""
        return await self.mark_stored_many([(article_id, version)]) == 1

    async def mark_stored_many(self, receipts: Sequence[tuple[str, int]]) -> int:
        """`mark_stored` for many receipts in one transaction: one UPDATE per distinct version
        (usually one). Returns how many pending rows were retired."""
        if not receipts:
            return 0
        return await self._run(lambda: self._mark_stored_many(receipts), write=True)

    def _mark_stored_many(self, receipts: Sequence[tuple[str, int]]) -> int:
        newest: dict[str, int] = {}
        for article_id, version in receipts:
            newest[article_id] = max(version, newest.get(article_id, version))
        by_version: dict[int, list[str]] = {}
        for article_id, version in newest.items():
            by_version.setdefault(version, []).append(article_id)
        now, retired, c = _now(), 0, outbox.c
        with self.engine.begin() as conn:
            for version, ids in by_version.items():
                for part in chunks(ids):
                    retired += conn.execute(update(outbox).where(c.id.in_(part), c.version <= version,
                                                                 c.stored_at.is_(None))
                                            .values(stored_at=now)).rowcount
        return retired

    async def counts(self) -> dict[str, int]:
        """Rows by state: pending (not stored yet, not given up), unpublished (of those, never
        taken by the broker), overdue (published, receipt overdue), gave_up."""
        return await self._run(self._counts)

    def _counts(self) -> dict[str, int]:
        now = _now()
        c = outbox.c

        def n(cond: Any) -> Any:
            return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

        with self.engine.connect() as conn:
            row = conn.execute(select(
                func.count().label("pending"),
                n(c.published_at.is_(None)).label("unpublished"),
                n(and_(c.published_at.is_not(None), c.next_attempt_at <= now)).label("overdue"),
            ).where(_pending())).one()
            gave_up = conn.execute(select(func.count()).where(c.gave_up_at.is_not(None))).scalar_one()
        return {**{k: int(v) for k, v in row._mapping.items()}, "gave_up": int(gave_up)}

    async def recent_texts(self, since: datetime, limit: int) -> list[tuple[str, str]]:
        """(id, text) of the newest `limit` reports received since `since`, oldest first."""
        return await self._run(lambda: self._recent_texts(since, limit))

    def _recent_texts(self, since: datetime, limit: int) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.id, outbox.c.message).where(outbox.c.received_at >= since)
                                .order_by(outbox.c.received_at.desc()).limit(limit)).all()
        out = []
        for row in reversed(rows):
            try:
                out.append((row.id, json.loads(row.message)["payload"]["text"]))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def state(self, article_id: str) -> dict[str, Any] | None:
        """One row's delivery state (for tests and operators)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(outbox.c.version, outbox.c.attempts, outbox.c.published_at,
                                      outbox.c.next_attempt_at, outbox.c.stored_at, outbox.c.gave_up_at)
                               .where(outbox.c.id == article_id)).first()
        return {k: _aware(v) if isinstance(v, datetime) else v for k, v in row._mapping.items()} if row else None

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self.engine.dispose()


class _Conflict(Exception):
    """A row changed between reading and writing it (another writer on the same file)."""


def withdrawn_hash(article_id: str) -> str:
    """The content hash a withdrawn report's row holds: its own, never a text's."""
    return hashlib.sha256(f"withdrawn\x1f{article_id}".encode()).hexdigest()


def _pending() -> Any:
    return _PENDING
