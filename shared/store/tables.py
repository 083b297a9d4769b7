"""Tables of the incident store. Storage writes them (and migrates them with Alembic); the gateway
only reads. Events keep their full public JSON in `body` and copy the fields that queries filter
on into indexed columns."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# An auto-incrementing key that is a rowid alias on SQLite and a bigint identity elsewhere.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

articles = Table(
    "articles",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("status", String(16), nullable=False),  # pending | processed | failed
    Column("error", Text),
    Column("language", String(8)),
    Column("title", Text),
    Column("url", Text),
    Column("source", Text),
    Column("text", Text),
    Column("content_hash", String(64)),
    Column("published_at", DateTime(timezone=True)),
    Column("received_at", DateTime(timezone=True)),
    Column("processed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("event_count", Integer, nullable=False, default=0),
)

events = Table(
    "events",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("article_id", String(200), nullable=False, index=True),
    Column("type", String(16), nullable=False),
    Column("weapon", String(16), nullable=False),
    Column("count", Integer),
    Column("killed", Integer),
    Column("injured", Integer),
    Column("damage", Boolean),
    Column("claimed_by", Text),
    Column("country_code", String(2)),
    Column("admin1_code", String(8)),
    Column("admin2", Text),
    Column("precision", String(16)),
    Column("lat", Float),
    Column("lon", Float),
    Column("occurred_start", DateTime(timezone=True)),
    Column("occurred_end", DateTime(timezone=True)),
    Column("published_at", DateTime(timezone=True)),
    Column("stored_at", DateTime(timezone=True), nullable=False),
    Column("body", JSON, nullable=False),
    Index("ix_events_admin1_type", "admin1_code", "type"),
    Index("ix_events_occurred", "occurred_start"),
    Index("ix_events_lat_lon", "lat", "lon"),
)
