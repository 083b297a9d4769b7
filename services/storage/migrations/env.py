"""Alembic environment: runs migrations online against the URL given in the config."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from shared.store.tables import metadata

config = context.config


def run() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
