"""Indexes for the gateway's queries. The event's time is the expression
coalesce(occurred_start, published_at, stored_at) that `since`, `until`, `sort=time` and stats by
day use; it is indexed alone, after admin1, and after country and type. The (lat, lon) index
becomes (lat, lon, weapon, type, time), so box and distance filters are answered from the index.

Revision ID: 0002_query_indexes
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_query_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None

EVENT_TIME = sa.text("coalesce(occurred_start, published_at, stored_at)")


def upgrade() -> None:
    op.create_index("ix_events_when", "events", [EVENT_TIME])
    op.create_index("ix_events_admin1_when", "events", [sa.column("admin1_code"), EVENT_TIME])
    op.create_index("ix_events_country_type_when", "events", [sa.column("country_code"), sa.column("type"), EVENT_TIME])
    op.create_index("ix_events_geo", "events", [sa.column(c) for c in ("lat", "lon", "weapon", "type")] + [EVENT_TIME])
    op.drop_index("ix_events_lat_lon", "events")


def downgrade() -> None:
    op.create_index("ix_events_lat_lon", "events", ["lat", "lon"])
    op.drop_index("ix_events_geo", "events")
    op.drop_index("ix_events_country_type_when", "events")
    op.drop_index("ix_events_admin1_when", "events")
    op.drop_index("ix_events_when", "events")
