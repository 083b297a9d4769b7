"""Incidents from topic `incidents.v1`: the table `incidents` (one row per incident id, the highest
version received; the columns the gateway's filters and sorts read, and the public JSON in `body`)
and `incident_claims` (one row per supporting event; an event may support several incidents, as a
claim for a containing area does).

Indexes as for events: the incident's time coalesce(occurred_start, first_reported_at, stored_at)
alone and after admin1, (status, sources) for `min_sources`, claims by article (`article_id`) and by
event; the point through each database's spatial index, as 0006_spatial does for events (PostGIS: a
GiST index on the geography; SQLite: an R*Tree `incidents_rtree`, id = incidents.seq, that triggers
keep in step).

Revision ID: 0007_incidents
Revises: 0006_spatial
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_incidents"
down_revision = "0006_spatial"
branch_labels = None
depends_on = None

INCIDENT_TIME = sa.text("coalesce(occurred_start, first_reported_at, stored_at)")
PG_POINT = "geography(ST_SetSRID(ST_MakePoint(lon, lat), 4326))"
_HAS_POINT = "{row}.lat IS NOT NULL AND {row}.lon IS NOT NULL"
_ADD = ("INSERT INTO incidents_rtree (id, min_lon, max_lon, min_lat, max_lat) "
        "SELECT NEW.seq, NEW.lon, NEW.lon, NEW.lat, NEW.lat WHERE " + _HAS_POINT.format(row="NEW"))

SQLITE_UP = [
    "CREATE VIRTUAL TABLE incidents_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
    f"CREATE TRIGGER incidents_rtree_insert AFTER INSERT ON incidents BEGIN {_ADD}; END",
    # a new version often keeps the point: touch the tree only when it moved
    "CREATE TRIGGER incidents_rtree_update AFTER UPDATE OF lat, lon ON incidents "
    "WHEN OLD.lat IS NOT NEW.lat OR OLD.lon IS NOT NEW.lon BEGIN "
    f"DELETE FROM incidents_rtree WHERE id = OLD.seq; {_ADD}; END",
    "CREATE TRIGGER incidents_rtree_delete AFTER DELETE ON incidents BEGIN "
    "DELETE FROM incidents_rtree WHERE id = OLD.seq; END",
]
SQLITE_DOWN = ["DROP TRIGGER incidents_rtree_delete", "DROP TRIGGER incidents_rtree_update",
               "DROP TRIGGER incidents_rtree_insert", "DROP TABLE incidents_rtree"]


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "incidents",
        sa.Column("seq", seq, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(200), nullable=False, unique=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("merged_into", sa.String(200)),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("weapon", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer),
        sa.Column("killed", sa.Integer),
        sa.Column("injured", sa.Integer),
        sa.Column("damage", sa.Boolean),
        sa.Column("sources", sa.Integer, nullable=False),
        sa.Column("country_code", sa.String(2)),
        sa.Column("admin1_code", sa.String(8)),
        sa.Column("admin2", sa.Text),
        sa.Column("precision", sa.String(16)),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("occurred_start", _when()),
        sa.Column("occurred_end", _when()),
        sa.Column("first_reported_at", _when()),
        sa.Column("last_reported_at", _when()),
        sa.Column("stored_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_index("ix_incidents_status_sources", "incidents", ["status", "sources"])
    op.create_index("ix_incidents_when", "incidents", [INCIDENT_TIME])
    op.create_index("ix_incidents_admin1_when", "incidents", [sa.column("admin1_code"), INCIDENT_TIME])
    op.create_table(
        "incident_claims",
        sa.Column("incident_id", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("article_id", sa.String(200), nullable=False),
        sa.Column("claimed_by", sa.Text),
        sa.Column("published_at", _when()),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_index("ix_incident_claims_article_id", "incident_claims", ["article_id"])
    op.create_index("ix_incident_claims_event", "incident_claims", ["event_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    else:
        op.create_index("ix_incidents_geog", "incidents", [sa.text(PG_POINT)], postgresql_using="gist")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.drop_table("incident_claims")
    op.drop_table("incidents")
