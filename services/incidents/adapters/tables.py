"""The incidents service's own tables (its state store, not the query store): the incidents with
their whole state as JSON plus the columns the matching queries filter on, the claim index (which
incidents hold which report's claims), what each report version applied where, and where each
report was routed. Created at start when missing (`metadata.create_all`). Named `incstate_*` so
that they can share a PostgreSQL database with the query store without meeting its tables."""
from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from shared.store.tables import UtcDateTime

metadata = MetaData()

incidents = Table(
    "incstate_incidents", metadata,
    Column("id", String(64), primary_key=True),
    Column("region", String(16), nullable=False),
    Column("type", String(32), nullable=False),
    Column("weapon", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("window_start", UtcDateTime()),  # the union of the claims' windows (rules.window_of)
    Column("window_end", UtcDateTime()),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),  # the Incident as JSON text (pydantic writes and reads it fastest)
    Index("ix_incstate_incidents_match", "region", "status", "type", "weapon", "window_end"),
)

claims = Table(
    "incstate_claims", metadata,
    Column("event_id", String(64), primary_key=True),
    Column("article_id", String(200), nullable=False),
    Column("region", String(16), nullable=False),
    Column("incident_id", String(64), nullable=False),
    Index("ix_incstate_claims_article", "region", "article_id"),
    Index("ix_incstate_claims_incident", "incident_id"),
)

applied = Table(
    "incstate_applied", metadata,
    Column("region", String(16), primary_key=True),
    Column("article_id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("touched", JSON, nullable=False),  # incident ids this version changed
)

routes = Table(
    "incstate_routes", metadata,
    Column("article_id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("regions", JSON, nullable=False),  # regions holding the version's events
    Column("sent", JSON, nullable=False),  # regions its messages went to (those and the ones it left)
)
