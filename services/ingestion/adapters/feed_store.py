"""SqlFeedStore: the feeds ingestion polls and their polling state (validators, schedule, errors),
in ingestion's own database next to the outbox, plus a fingerprint per feed item so an unchanged
item is not fetched and offered again on every poll."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

T = TypeVar("T")
metadata = MetaData()
feeds = Table(
    "feeds",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("url", String(4000), nullable=False, unique=True),
    Column("name", String(500)),
    Column("source", String(500)),
    Column("language", String(8)),
    Column("interval_s", Float, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("origin", String(16), nullable=False, default="api"),  # api | file
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_status", Text),
    Column("last_error", Text),
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_polled_at", DateTime(timezone=True)),
    Column("next_poll_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
feed_items = Table(
    "feed_items",
    metadata,
    Column("feed_id", String(64), primary_key=True),
    Column("item_key", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("article_id", String(200)),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

CONFIG_FIELDS = ("url", "name", "source", "language", "interval_s", "enabled")


class FeedExists(Exception):
    pass


class SqlFeedStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(fn)

    # -- configuration --------------------------------------------------------------------
    async def add(self, feed_id: str, config: dict[str, Any], *, origin: str = "api") -> dict[str, Any]:
        def go() -> dict[str, Any]:
            now = datetime.now(UTC)
            try:
                with self.engine.begin() as conn:
                    conn.execute(feeds.insert().values(id=feed_id, origin=origin, error_count=0, next_poll_at=now,
                                                       created_at=now, **_config(config)))
            except IntegrityError as err:
                raise FeedExists(config["url"]) from err
            return self._get(feed_id) or {}
        return await self._run(go)

    async def upsert_from_file(self, feed_id: str, config: dict[str, Any]) -> None:
        """A feed from the feeds file: created if new, its configuration refreshed if known (its
        polling state is kept)."""
        def go() -> None:
            with self.engine.begin() as conn:
                found = conn.execute(select(feeds.c.id).where(
                    (feeds.c.id == feed_id) | (feeds.c.url == config["url"]))).first()
                if found:
                    conn.execute(update(feeds).where(feeds.c.id == found.id).values(**_config(config)))
                    return
                now = datetime.now(UTC)
                conn.execute(feeds.insert().values(id=feed_id, origin="file", error_count=0, next_poll_at=now,
                                                   created_at=now, **_config(config)))
        await self._run(go)

    async def change(self, feed_id: str, config: dict[str, Any]) -> dict[str, Any] | None:
        def go() -> dict[str, Any] | None:
            values = _config(config)
            if values.get("enabled"):
                values["next_poll_at"] = datetime.now(UTC)  # re-enabled or re-scheduled: poll soon
            try:
                with self.engine.begin() as conn:
                    if values:
                        conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**values))
            except IntegrityError as err:
                raise FeedExists(config.get("url", "")) from err
            return self._get(feed_id)
        return await self._run(go)

    async def remove(self, feed_id: str) -> bool:
        def go() -> bool:
            with self.engine.begin() as conn:
                gone = conn.execute(delete(feeds).where(feeds.c.id == feed_id)).rowcount
                conn.execute(delete(feed_items).where(feed_items.c.feed_id == feed_id))
            return bool(gone)
        return await self._run(go)

    async def get(self, feed_id: str) -> dict[str, Any] | None:
        return await self._run(lambda: self._get(feed_id))

    def _get(self, feed_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(feeds).where(feeds.c.id == feed_id)).first()
        return _row(row) if row else None

    async def all(self) -> list[dict[str, Any]]:
        def go() -> list[dict[str, Any]]:
            with self.engine.connect() as conn:
                return [_row(r) for r in conn.execute(select(feeds).order_by(feeds.c.created_at, feeds.c.id))]
        return await self._run(go)

    # -- polling state --------------------------------------------------------------------
    async def due(self, now: datetime) -> list[dict[str, Any]]:
        def go() -> list[dict[str, Any]]:
            with self.engine.connect() as conn:
                rows = conn.execute(select(feeds).where(feeds.c.enabled.is_(True), feeds.c.next_poll_at <= now)
                                    .order_by(feeds.c.next_poll_at))
                return [_row(r) for r in rows]
        return await self._run(go)

    async def next_due_at(self) -> datetime | None:
        def go() -> datetime | None:
            with self.engine.connect() as conn:
                value = conn.execute(select(feeds.c.next_poll_at).where(feeds.c.enabled.is_(True))
                                     .order_by(feeds.c.next_poll_at).limit(1)).scalar_one_or_none()
            return _aware(value)
        return await self._run(go)

    async def record_poll(self, feed_id: str, **state: Any) -> None:
        def go() -> None:
            with self.engine.begin() as conn:
                conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**state))
        await self._run(go)

    async def fingerprints(self, feed_id: str) -> dict[str, str]:
        def go() -> dict[str, str]:
            with self.engine.connect() as conn:
                rows = conn.execute(select(feed_items.c.item_key, feed_items.c.fingerprint)
                                    .where(feed_items.c.feed_id == feed_id))
                return {r.item_key: r.fingerprint for r in rows}
        return await self._run(go)

    async def remember_item(self, feed_id: str, item_key: str, fingerprint: str, article_id: str | None) -> None:
        def go() -> None:
            with self.engine.begin() as conn:
                conn.execute(delete(feed_items).where(feed_items.c.feed_id == feed_id,
                                                      feed_items.c.item_key == item_key))
                conn.execute(feed_items.insert().values(feed_id=feed_id, item_key=item_key, fingerprint=fingerprint,
                                                        article_id=article_id, seen_at=datetime.now(UTC)))
        await self._run(go)


def _config(config: dict[str, Any]) -> dict[str, Any]:
    return {k: config[k] for k in CONFIG_FIELDS if k in config}


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands timezone-aware columns back naive (in UTC).
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for key in ("last_polled_at", "next_poll_at", "created_at"):
        out[key] = _aware(out[key])
    return out
