"""Report versions: an edited post is a new version of the same article; the store keeps the
newest version it has applied and ignores older ones that arrive late.

Revision ID: 0003_versions
Revises: 0002_query_indexes
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_versions"
down_revision = "0002_query_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("version")
