"""Alembic environment of ingestion's outbox: runs migrations online against the URL given in the
config, keeping its version in its own table and looking only at the outbox's tables."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from services.ingestion.adapters.outbox import metadata
from services.ingestion.migrations import VERSION_TABLE

config = context.config


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    return type_ != "table" or name in metadata.tables


def run() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                          version_table=VERSION_TABLE, include_name=_ours)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
