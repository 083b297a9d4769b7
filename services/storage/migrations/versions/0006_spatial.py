"""Spatial indexes for the gateway's `bbox`, `near` and `region`, each database's own, in place of
the (lat, lon, weapon, type, time) B-tree of 0002_query_indexes.

PostgreSQL: the PostGIS extension (created here when missing; it needs a role allowed to create it,
which the compose file's and the tests' roles are) and a GiST index on the event's point as a
geography, the expression `shared.store.tables.event_geog` declares. SQLite: an R*Tree
`events_rtree` (id = events.seq; a point stored as a degenerate box) that triggers keep in step
through inserts, upserts that move an event, and deletes; the migration fills it from the events
already stored. Events without coordinates are in neither index (no spatial filter matches them).

Revision ID: 0006_spatial
Revises: 0005_search
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_spatial"
down_revision = "0005_search"
branch_labels = None
depends_on = None

EVENT_TIME = sa.text("coalesce(occurred_start, published_at, stored_at)")
PG_POINT = "geography(ST_SetSRID(ST_MakePoint(lon, lat), 4326))"
_HAS_POINT = "{row}.lat IS NOT NULL AND {row}.lon IS NOT NULL"
_ADD = ("INSERT INTO events_rtree (id, min_lon, max_lon, min_lat, max_lat) "
        "VALUES (NEW.seq, NEW.lon, NEW.lon, NEW.lat, NEW.lat)")

SQLITE_UP = [
    "CREATE VIRTUAL TABLE events_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
    "INSERT INTO events_rtree (id, min_lon, max_lon, min_lat, max_lat) "
    f"SELECT seq, lon, lon, lat, lat FROM events WHERE {_HAS_POINT.format(row='events')}",
    f"CREATE TRIGGER events_rtree_insert AFTER INSERT ON events WHEN {_HAS_POINT.format(row='NEW')} BEGIN "
    f"{_ADD}; END",
    # an upsert rewrites lat and lon with the same values: touch the tree only when the point moved
    "CREATE TRIGGER events_rtree_update AFTER UPDATE OF lat, lon ON events "
    "WHEN OLD.lat IS NOT NEW.lat OR OLD.lon IS NOT NEW.lon BEGIN "
    "DELETE FROM events_rtree WHERE id = OLD.seq; "
    f"INSERT INTO events_rtree (id, min_lon, max_lon, min_lat, max_lat) SELECT NEW.seq, NEW.lon, NEW.lon, NEW.lat, "
    f"NEW.lat WHERE {_HAS_POINT.format(row='NEW')}; END",
    "CREATE TRIGGER events_rtree_delete AFTER DELETE ON events BEGIN DELETE FROM events_rtree WHERE id = OLD.seq; END",
]
SQLITE_DOWN = ["DROP TRIGGER events_rtree_delete", "DROP TRIGGER events_rtree_update",
               "DROP TRIGGER events_rtree_insert", "DROP TABLE events_rtree"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        op.create_index("ix_events_geog", "events", [sa.text(PG_POINT)], postgresql_using="gist")
    op.drop_index("ix_events_geo", "events")


def downgrade() -> None:
    op.create_index("ix_events_geo", "events", [sa.column(c) for c in ("lat", "lon", "weapon", "type")] + [EVENT_TIME])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    else:
        op.drop_index("ix_events_geog", "events")  # the extension stays: other schemas may use it
