"""SqlPolledStore: what the stores of polled sources (feeds, Telegram channels) share, in
ingestion's own database next to the outbox: a table of sources, each with its configuration and
its polling state (schedule, last status and error, consecutive errors), added through the admin
API or loaded from a file. Subclasses give the table, its unique address column and the columns
that are configuration."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Column, Engine, Table, delete, select, update
from sqlalchemy.exc import IntegrityError

T = TypeVar("T")


class SourceExists(Exception):
    """A source with this address is configured already."""


class SqlPolledStore:
    table: ClassVar[Table]
    address: ClassVar[str]  # the unique column that names the source: a feed's url, a channel's name
    config_fields: ClassVar[tuple[str, ...]]
    times: ClassVar[tuple[str, ...]] = ("last_polled_at", "next_poll_at", "created_at")
    items: ClassVar[tuple[Column[Any], ...]] = ()  # key columns of per-item tables removed with a source

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.table.metadata.create_all(engine)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(fn)

    # -- configuration --------------------------------------------------------------------
    async def add(self, source_id: str, config: dict[str, Any], *, origin: str = "api",
                  **state: Any) -> dict[str, Any]:
        """Raises SourceExists when the address is taken."""
        def go() -> dict[str, Any]:
            now = datetime.now(UTC)
            try:
                with self.engine.begin() as conn:
                    conn.execute(self.table.insert().values(id=source_id, origin=origin, error_count=0,
                                                            next_poll_at=now, created_at=now,
                                                            **self._config(config), **state))
            except IntegrityError as err:
                raise SourceExists(config[self.address]) from err
            return self._get(source_id) or {}
        return await self._run(go)

    async def upsert_from_file(self, source_id: str, config: dict[str, Any], **state: Any) -> None:
        """A source from the sources file: created if new (with `state`), its configuration
        refreshed if known (its polling state is kept)."""
        t = self.table

        def go() -> None:
            with self.engine.begin() as conn:
                found = conn.execute(select(t.c.id).where(
                    (t.c.id == source_id) | (t.c[self.address] == config[self.address]))).first()
                if found:
                    conn.execute(update(t).where(t.c.id == found.id).values(**self._config(config)))
                    return
                now = datetime.now(UTC)
                conn.execute(t.insert().values(id=source_id, origin="file", error_count=0, next_poll_at=now,
                                               created_at=now, **self._config(config), **state))
        await self._run(go)

    async def change(self, source_id: str, config: dict[str, Any]) -> dict[str, Any] | None:
        t = self.table

        def go() -> dict[str, Any] | None:
            values = self._config(config)
            if values.get("enabled"):
                values["next_poll_at"] = datetime.now(UTC)  # re-enabled or re-scheduled: poll soon
            try:
                with self.engine.begin() as conn:
                    if values:
                        conn.execute(update(t).where(t.c.id == source_id).values(**values))
            except IntegrityError as err:
                raise SourceExists(config.get(self.address, "")) from err
            return self._get(source_id)
        return await self._run(go)

    async def remove(self, source_id: str) -> bool:
        def go() -> bool:
            with self.engine.begin() as conn:
                gone = conn.execute(delete(self.table).where(self.table.c.id == source_id)).rowcount
                for key in self.items:
                    conn.execute(delete(key.table).where(key == source_id))
            return bool(gone)
        return await self._run(go)

    async def get(self, source_id: str) -> dict[str, Any] | None:
        return await self._run(lambda: self._get(source_id))

    def _get(self, source_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(self.table).where(self.table.c.id == source_id)).first()
        return self._row(row) if row else None

    async def all(self) -> list[dict[str, Any]]:
        t = self.table

        def go() -> list[dict[str, Any]]:
            with self.engine.connect() as conn:
                return [self._row(r) for r in conn.execute(select(t).order_by(t.c.created_at, t.c.id))]
        return await self._run(go)

    # -- polling state --------------------------------------------------------------------
    async def due(self, now: datetime) -> list[dict[str, Any]]:
        t = self.table

        def go() -> list[dict[str, Any]]:
            with self.engine.connect() as conn:
                rows = conn.execute(select(t).where(t.c.enabled.is_(True), t.c.next_poll_at <= now)
                                    .order_by(t.c.next_poll_at))
                return [self._row(r) for r in rows]
        return await self._run(go)

    async def next_due_at(self) -> datetime | None:
        t = self.table

        def go() -> datetime | None:
            with self.engine.connect() as conn:
                value = conn.execute(select(t.c.next_poll_at).where(t.c.enabled.is_(True))
                                     .order_by(t.c.next_poll_at).limit(1)).scalar_one_or_none()
            return aware(value)
        return await self._run(go)

    async def record_poll(self, source_id: str, **state: Any) -> None:
        def go() -> None:
            with self.engine.begin() as conn:
                conn.execute(update(self.table).where(self.table.c.id == source_id).values(**state))
        await self._run(go)

    def _config(self, config: dict[str, Any]) -> dict[str, Any]:
        return {k: config[k] for k in self.config_fields if k in config}

    def _row(self, row: Any) -> dict[str, Any]:
        out = dict(row._mapping)
        for key in self.times:
            out[key] = aware(out[key])
        return out


def aware(value: datetime | None) -> datetime | None:
    # SQLite hands timezone-aware columns back naive (in UTC).
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
