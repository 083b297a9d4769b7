"""SqlFeedStore: the feeds ingestion polls and their polling state (validators, schedule, errors),
in ingestion's own database next to the outbox, plus a fingerprint per feed item so an unchanged
item is not fetched and offered again on every poll. What it shares with the Telegram channels'
store is in `polled_store`."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
)

from services.ingestion.adapters.polled_store import SourceExists, SqlPolledStore

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
FeedExists = SourceExists


class SqlFeedStore(SqlPolledStore):
    table = feeds
    address = "url"
    config_fields = CONFIG_FIELDS
    items = (feed_items.c.feed_id,)

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
