"""SqlOutbox: ingestion's durable record of every accepted report, and the outbox from which
reports are (re)published. A report is remembered before it is published, so an accepted report
is never lost to a broker outage; duplicates by id or by content hash are refused here."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, create_engine, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from shared.messages import ArticleReceived

metadata = MetaData()
outbox = Table(
    "outbox",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("message", Text, nullable=False),
    Column("published_at", DateTime(timezone=True)),
)


class SqlOutbox:
    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url)
        metadata.create_all(self.engine)

    async def add(self, message: ArticleReceived) -> str | None:
        """Remember the message; None if new, else the id of the report it duplicates."""
        return await asyncio.to_thread(self._add, message)

    def _add(self, message: ArticleReceived) -> str | None:
        a = message.payload
        try:
            with self.engine.begin() as conn:
                conn.execute(outbox.insert().values(id=a.id, content_hash=a.content_hash, received_at=a.received_at,
                                                    message=message.model_dump_json()))
            return None
        except IntegrityError:
            with self.engine.connect() as conn:
                row = conn.execute(select(outbox.c.id).where(
                    (outbox.c.id == a.id) | (outbox.c.content_hash == a.content_hash))).first()
            return row.id if row else a.id

    async def mark_published(self, article_id: str) -> None:
        await asyncio.to_thread(self._mark, article_id)

    def _mark(self, article_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == article_id).values(published_at=datetime.now(UTC)))

    async def unpublished(self, older_than_s: float, limit: int = 500) -> list[ArticleReceived]:
        return await asyncio.to_thread(self._unpublished, older_than_s, limit)

    def _unpublished(self, older_than_s: float, limit: int) -> list[ArticleReceived]:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.message).where(outbox.c.published_at.is_(None),
                                                               outbox.c.received_at < cutoff)
                                .order_by(outbox.c.received_at).limit(limit)).all()
        return [ArticleReceived.model_validate(json.loads(r.message)) for r in rows]

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))

    def close(self) -> None:
        self.engine.dispose()
