"""SqlChannelStore: the Telegram channels ingestion follows, their configuration and following
state, and what was read of each post, in ingestion's own database next to the outbox.

A channel's state: `last_post_id` (every post up to it, from where following began, has been read),
`cursor` (while a backfill or a catch-up walks back page by page: the `before` of the next older
page still to read) and `walk_top` (the newest post seen when that walk began: `last_post_id` once
it ends), plus the usual polling state and running counts. A post's row keeps the fingerprint of
the text taken, its kind and whether it was taken, skipped (media, service) or withdrawn (deleted
from the channel), so that nothing is taken twice and each skip is counted once."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
channels = Table(
    "channels",
    metadata,
    Column("id", String(64), primary_key=True),  # the username, lower case
    Column("name", String(100), nullable=False, unique=True),  # the username as configured
    Column("interval_s", Float, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("origin", String(16), nullable=False, default="api"),  # api | file
    Column("backfill_from_id", Integer),
    Column("backfill_from_date", DateTime(timezone=True)),
    Column("title", Text),
    Column("last_post_id", Integer),
    Column("cursor", Integer),
    Column("walk_top", Integer),
    Column("taken", Integer, nullable=False, default=0),
    Column("edited", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("skipped_media", Integer, nullable=False, default=0),
    Column("skipped_service", Integer, nullable=False, default=0),
    Column("last_status", Text),
    Column("last_error", Text),
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_polled_at", DateTime(timezone=True)),
    Column("next_poll_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
channel_posts = Table(
    "channel_posts",
    metadata,
    Column("channel_id", String(64), primary_key=True),
    Column("post_id", Integer, primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("kind", String(8), nullable=False),  # text | media | service
    Column("state", String(10), nullable=False),  # taken | skipped | withdrawn
    Column("article_id", String(200)),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

ChannelExists = SourceExists


@dataclass(frozen=True)
class PostRecord:
    post_id: int
    fingerprint: str
    kind: str
    state: str
    article_id: str | None = None


class SqlChannelStore(SqlPolledStore):
    table = channels
    address = "name"
    config_fields = ("name", "interval_s", "enabled")
    times = ("last_polled_at", "next_poll_at", "created_at", "backfill_from_date")
    items = (channel_posts.c.channel_id,)

    async def posts(self, channel_id: str, low: int, high: int | None = None) -> dict[int, PostRecord]:
        """What was read of the channel's posts with ids from `low` (to `high`, both included)."""
        c = channel_posts.c

        def go() -> dict[int, PostRecord]:
            query = select(c.post_id, c.fingerprint, c.kind, c.state, c.article_id).where(
                c.channel_id == channel_id, c.post_id >= low)
            if high is not None:
                query = query.where(c.post_id <= high)
            with self.engine.connect() as conn:
                return {r.post_id: PostRecord(r.post_id, r.fingerprint, r.kind, r.state, r.article_id)
                        for r in conn.execute(query)}
        return await self._run(go)

    async def remember(self, channel_id: str, records: Sequence[PostRecord]) -> None:
        """Record what was read of these posts (replacing what was recorded of them before)."""
        if not records:
            return
        c = channel_posts.c

        def go() -> None:
            now = datetime.now(UTC)
            with self.engine.begin() as conn:
                conn.execute(delete(channel_posts).where(c.channel_id == channel_id,
                                                         c.post_id.in_([r.post_id for r in records])))
                conn.execute(channel_posts.insert(), [
                    {"channel_id": channel_id, "post_id": r.post_id, "fingerprint": r.fingerprint, "kind": r.kind,
                     "state": r.state, "article_id": r.article_id, "seen_at": now} for r in records])
        await self._run(go)
