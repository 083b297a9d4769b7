"""Report provenance from the new sources (feeds, web pages, Telegram, files): channel, author,
fetched_at and origin, the language ingestion detected (with its confidence) and the earlier
report a near-duplicate repeats.

Revision ID: 0004_sources
Revises: 0003_versions
"""
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_sources"
down_revision = "0003_versions"
branch_labels = None
depends_on = None

COLUMNS: list[tuple[str, Callable[[], sa.types.TypeEngine[Any]]]] = [
    ("channel", sa.Text),
    ("author", sa.Text),
    ("fetched_at", lambda: sa.DateTime(timezone=True)),
    ("origin", lambda: sa.String(16)),
    ("detected_language", lambda: sa.String(8)),
    ("language_confidence", sa.Float),
    ("near_duplicate_of", lambda: sa.String(200)),
]


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind()))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
