"""Tables of the incident store. Storage writes them (and migrates them with Alembic); the gateway
only reads. Events keep their full public JSON in `body` and copy the fields that queries filter
on into indexed columns."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    cast,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in time, stored as UTC. SQLite keeps no offset and would store "01:00+03:00" as
    01:00; converting to UTC first makes `since`/`until` and grouping by day right on both stores,
    and values come back as aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

metadata = MetaData()

# An auto-incrementing key that is a rowid alias on SQLite and a bigint identity elsewhere.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

articles = Table(
    "articles",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("status", String(16), nullable=False),  # pending | processed | failed | retracted
    Column("error", Text),
    Column("language", String(8)),
    Column("title", Text),
    Column("url", Text),
    Column("source", Text),
    Column("text", Text),
    Column("content_hash", String(64)),
    Column("published_at", UtcDateTime()),
    Column("received_at", UtcDateTime()),
    Column("processed_at", UtcDateTime()),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("event_count", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=1, server_default="1"),  # newest version applied
    # Where the report came from and what ingestion found out about it (migration 0004_sources).
    Column("channel", Text),
    Column("author", Text),
    Column("fetched_at", UtcDateTime()),
    Column("origin", String(16)),  # http | batch | feed | telegram | file
    Column("detected_language", String(8)),
    Column("language_confidence", Float),
    Column("near_duplicate_of", String(200)),
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
    Column("occurred_start", UtcDateTime()),
    Column("occurred_end", UtcDateTime()),
    Column("published_at", UtcDateTime()),
    Column("stored_at", UtcDateTime(), nullable=False),
    Column("body", JSON, nullable=False),
    Index("ix_events_admin1_type", "admin1_code", "type"),
    Index("ix_events_occurred", "occurred_start"),
)

# The gateway's filters and time sort (migration 0002_query_indexes): an event's time is
# coalesce(occurred_start, published_at, stored_at), indexed as that expression.
event_time = func.coalesce(events.c.occurred_start, events.c.published_at, events.c.stored_at)
Index("ix_events_when", event_time)
Index("ix_events_admin1_when", events.c.admin1_code, event_time)
Index("ix_events_country_type_when", events.c.country_code, events.c.type, event_time)

# Spatial indexes (migration 0006_spatial), each database's own. PostgreSQL: PostGIS, a GiST index
# on the event's point as a geography (this very expression; queries must use it to hit the index),
# which answers ST_DWithin for `near` and `&&` against an envelope for `bbox` and `region`. SQLite:
# an R*Tree `events_rtree` (id = events.seq, a point as a degenerate box) that triggers keep in step
# with events; like events_fts it is made by the migration, not by this metadata.
event_geog = func.geography(func.ST_SetSRID(func.ST_MakePoint(events.c.lon, events.c.lat), 4326))
Index("ix_events_geog", event_geog, postgresql_using="gist").ddl_if(dialect="postgresql")
# How queries name the R*Tree's columns (a table of its own metadata: create_all must not make it).
events_rtree = Table("events_rtree", MetaData(), Column("id", Integer, primary_key=True), Column("min_lon", Float),
                     Column("max_lon", Float), Column("min_lat", Float), Column("max_lat", Float))

# Text search (`q`, migration 0005_search) over the evidence texts and place names of an event.
# PostgreSQL: this tsvector ('simple' configuration: words lowercased, no stemming, so Russian,
# Ukrainian and English alike) behind a GIN index; queries must use this very expression to hit it.
# SQLite: an FTS5 table `events_fts` (rowid = events.seq) that triggers keep in step with events;
# the migration makes it, and it is not part of this metadata (SQLAlchemy cannot declare virtual
# tables; tests/integration/test_migrations.py leaves it out of the comparison by name).
SEARCH_PLACE_FIELDS = ("mention", "name", "admin1", "admin2", "city", "street")


def search_vector(body: ColumnElement[Any]) -> ColumnElement[Any]:
    """The tsvector of an event's `body` (of `events` or an alias of it) that ix_events_search indexes."""
    as_jsonb = cast(body, JSONB)
    places = "|".join(SEARCH_PLACE_FIELDS)
    texts = func.jsonb_path_query_array(as_jsonb, text("'$.evidence[*].text'::jsonpath")).op("||")(
        func.jsonb_path_query_array(as_jsonb, text(
            f"'$.location.keyvalue() ? (@.key like_regex \"^({places})$\").value'::jsonpath")))
    return func.to_tsvector(text("'simple'::regconfig"), texts)


event_search_vector = search_vector(events.c.body)
Index("ix_events_search", event_search_vector, postgresql_using="gin").ddl_if(dialect="postgresql")

# Incidents (migration 0007_incidents): one real event joined across reports, as storage last
# received it from `incidents.v1` (the highest version of each id). `body` is the incident's public
# JSON without its claims; the claims are rows of `incident_claims` (one per supporting event, its
# public JSON in `body`). The columns copy what the filters and sorts read: the reconciled values,
# the most specific place, the time window, the number of distinct sources and the status.
incidents = Table(
    "incidents",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(200), nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # active | retracted | merged
    Column("merged_into", String(200)),
    Column("type", String(16), nullable=False),
    Column("weapon", String(16), nullable=False),
    Column("count", Integer),
    Column("killed", Integer),
    Column("injured", Integer),
    Column("damage", Boolean),
    Column("sources", Integer, nullable=False),
    Column("country_code", String(2)),
    Column("admin1_code", String(8)),
    Column("admin2", Text),
    Column("precision", String(16)),
    Column("lat", Float),
    Column("lon", Float),
    Column("occurred_start", UtcDateTime()),
    Column("occurred_end", UtcDateTime()),
    Column("first_reported_at", UtcDateTime()),
    Column("last_reported_at", UtcDateTime()),
    Column("stored_at", UtcDateTime(), nullable=False),  # first stored; kept through updates
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("body", JSON, nullable=False),
    Index("ix_incidents_status_sources", "status", "sources"),
)

incident_claims = Table(
    "incident_claims",
    metadata,
    Column("incident_id", String(200), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("article_id", String(200), nullable=False, index=True),
    Column("claimed_by", Text),
    Column("published_at", UtcDateTime()),
    Column("position", Integer, nullable=False),  # the order of the claims in the message
    Column("body", JSON, nullable=False),
    Index("ix_incident_claims_event", "event_id"),
)

# An incident's time, as an event's: its window's start, else its first report, else when stored.
incident_time = func.coalesce(incidents.c.occurred_start, incidents.c.first_reported_at, incidents.c.stored_at)
Index("ix_incidents_when", incident_time)
Index("ix_incidents_admin1_when", incidents.c.admin1_code, incident_time)
incident_geog = func.geography(func.ST_SetSRID(func.ST_MakePoint(incidents.c.lon, incidents.c.lat), 4326))
Index("ix_incidents_geog", incident_geog, postgresql_using="gist").ddl_if(dialect="postgresql")
incidents_rtree = Table("incidents_rtree", MetaData(), Column("id", Integer, primary_key=True),
                        Column("min_lon", Float), Column("max_lon", Float), Column("min_lat", Float),
                        Column("max_lat", Float))
