"""Redelivery and versions: the version of each report, how often it was published and when to
publish it again, storage's receipt, and giving up; partial indexes over the pending rows (the
relay's and /readyz's queries read only those). Releases before these migrations added the same
columns in place; such an outbox is stamped at this revision (see `adopt`).

Revision ID: 0002_redelivery
Revises: 0001_outbox
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_redelivery"
down_revision = "0001_outbox"
branch_labels = None
depends_on = None

PENDING = sa.text("stored_at IS NULL AND gave_up_at IS NULL")
GAVE_UP = sa.text("gave_up_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("stored_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("gave_up_at", sa.DateTime(timezone=True)))
    op.create_index("ix_outbox_pending", "outbox", ["received_at", "published_at", "next_attempt_at"],
                    sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index("ix_outbox_gave_up", "outbox", ["gave_up_at"], sqlite_where=GAVE_UP, postgresql_where=GAVE_UP)


def downgrade() -> None:
    op.drop_index("ix_outbox_gave_up", "outbox")
    op.drop_index("ix_outbox_pending", "outbox")
    with op.batch_alter_table("outbox") as batch:
        for name in ("gave_up_at", "stored_at", "next_attempt_at", "attempts", "version"):
            batch.drop_column(name)
