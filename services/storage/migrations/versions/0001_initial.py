"""The first schema: articles and events.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("language", sa.String(8)),
        sa.Column("title", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("source", sa.Text),
        sa.Column("text", sa.Text),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "events",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("article_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("weapon", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer),
        sa.Column("killed", sa.Integer),
        sa.Column("injured", sa.Integer),
        sa.Column("damage", sa.Boolean),
        sa.Column("claimed_by", sa.Text),
        sa.Column("country_code", sa.String(2)),
        sa.Column("admin1_code", sa.String(8)),
        sa.Column("admin2", sa.Text),
        sa.Column("precision", sa.String(16)),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("occurred_start", sa.DateTime(timezone=True)),
        sa.Column("occurred_end", sa.DateTime(timezone=True)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_article_id", "events", ["article_id"])
    op.create_index("ix_events_admin1_type", "events", ["admin1_code", "type"])
    op.create_index("ix_events_occurred", "events", ["occurred_start"])
    op.create_index("ix_events_lat_lon", "events", ["lat", "lon"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("articles")
