"""SqlPostStamps: the newest edit time taken per Telegram post, in ingestion's own database, so a
late or re-sent older edit (a retried webhook, an export made before the last edit) does not
become a "newer" version that turns the report back to an older text."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, select, update

metadata = MetaData()
post_stamps = Table(
    "post_stamps",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("stamp", DateTime(timezone=True), nullable=False),  # edit time, else post time
)


class SqlPostStamps:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    async def superseded(self, post_id: str, stamp: datetime) -> bool:
        """True when a later edit of this post was taken already."""
        return await asyncio.to_thread(self._superseded, post_id, stamp)

    def _superseded(self, post_id: str, stamp: datetime) -> bool:
        with self.engine.connect() as conn:
            known = conn.execute(select(post_stamps.c.stamp).where(post_stamps.c.id == post_id)).scalar_one_or_none()
        return known is not None and _utc(stamp) < _utc(known)

    async def remember(self, post_id: str, stamp: datetime) -> None:
        await asyncio.to_thread(self._remember, post_id, stamp)

    def _remember(self, post_id: str, stamp: datetime) -> None:
        with self.engine.begin() as conn:
            known = conn.execute(select(post_stamps.c.stamp).where(post_stamps.c.id == post_id)).scalar_one_or_none()
            if known is None:
                conn.execute(post_stamps.insert().values(id=post_id, stamp=_utc(stamp)))
            elif _utc(stamp) > _utc(known):
                conn.execute(update(post_stamps).where(post_stamps.c.id == post_id).values(stamp=_utc(stamp)))


def _utc(value: datetime) -> datetime:
    # SQLite returns timezone-aware columns naive (they are stored in UTC).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
