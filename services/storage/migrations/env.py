"""Alembic environment: runs migrations online against the URL given in the config.

On PostgreSQL the run holds a session-level advisory lock, so replicas of storage that start at
the same moment (`docker compose up --scale storage=2`, or storage beside `dronewatch migrate`)
migrate one after the other instead of racing to create the same tables; the second finds the
schema at head and does nothing."""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text

from shared.store.tables import metadata

config = context.config
MIGRATION_LOCK = 0x64726F6E  # any constant shared by every dronewatch process ("dron")


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            _migrate(connection)
        else:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
            try:
                _migrate(connection)
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
    engine.dispose()


run()
