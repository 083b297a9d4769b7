"""Alembic migrations of ingestion's outbox (the `outbox` table in INGESTION_DB_URL), owned by
ingestion: `upgrade(url)` brings the database to the newest schema, and `SqlOutbox` runs it when it
opens the database. The version is kept in `ingestion_alembic_version`, so the outbox may share a
database with the incident store without the two histories meeting.

An outbox written before these migrations existed (its columns added in place by older releases)
has the table but no version: `upgrade` first records which of the revisions its columns match
(`adopt`), then carries on from there. The feed and Telegram tables beside it are still created as
their adapters declare them."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, pool
from sqlalchemy.engine import make_url

HERE = Path(__file__).parent
VERSION_TABLE = "ingestion_alembic_version"
# The revision whose schema an unversioned outbox has, by the newest column it holds.
ADOPT_BY_COLUMN = (("gave_up_at", "0002_redelivery"), ("published_at", "0001_outbox"))


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config(database_url)
    adopted = adopt(database_url)
    if adopted is not None:
        command.stamp(cfg, adopted)
    command.upgrade(cfg, revision)


def adopt(database_url: str) -> str | None:
    """The revision an outbox made before migrations matches, or None (no outbox yet, or one with
    a version already)."""
    engine = create_engine(database_url, poolclass=pool.NullPool)
    try:
        tables = set(inspect(engine).get_table_names())
        if "outbox" not in tables or VERSION_TABLE in tables:
            return None
        columns = {c["name"] for c in inspect(engine).get_columns("outbox")}
    finally:
        engine.dispose()
    return next(revision for column, revision in ADOPT_BY_COLUMN if column in columns)
