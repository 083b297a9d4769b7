"""Fixtures shared by every test layer: a real Kafka-protocol broker (the local Tansu, unless
KAFKA_BOOTSTRAP_SERVERS points at one), settings with a unique topic prefix per test, and store
URLs for SQLite and PostgreSQL (a fresh PostgreSQL database per test session)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.config import BaseServiceSettings
from shared.kafka.broker import LocalBroker

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    broker = LocalBroker.start_on_free_port(log_path=tmp_path_factory.mktemp("broker") / "tansu.log")
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def settings_factory(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> Callable[..., BaseServiceSettings]:
    """Build any service's settings pointed at the test broker, with this test's topic prefix and
    group timings that make joins on the local broker quick."""

    def make(cls: type[BaseServiceSettings] = BaseServiceSettings, **overrides: object) -> BaseServiceSettings:
        fields: dict[str, object] = {
            "kafka_bootstrap_servers": kafka_bootstrap,
            "kafka_topic_prefix": topic_prefix,
            "kafka_session_timeout_ms": 2000,
            "kafka_heartbeat_interval_ms": 200,
            "kafka_commit_every_s": 0.2,
            "data_dir": tmp_path,
            "log_format": "text",
        }
        fields.update(overrides)
        return cls(_env_file=None, **fields)  # type: ignore[call-arg]

    return make


def _create_pg_database() -> str | None:
    try:
        from sqlalchemy import create_engine, text

        name = f"dronewatch_test_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            # The store needs PostGIS (migration 0006_spatial creates it in each database): `make
            # test` installs it; without it the PostgreSQL tests are skipped like without a server.
            if conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).first() is None:
                raise RuntimeError("PostGIS is not installed for this server (make postgis)")
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return name
    except Exception as err:  # noqa: BLE001
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL with PostGIS is required in CI: {err}") from err
        return None


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    name = _create_pg_database()
    yield name
    if name:
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def store_url(kind: str, folder: Path, pg_database: str | None) -> str:
    """The store URL for `kind` (sqlite: a file in `folder`; postgresql: this session's database).
    Skips the test when PostgreSQL is not reachable (outside CI)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'store.db'}"
    if pg_database is None:
        pytest.skip("PostgreSQL with PostGIS is not reachable at 127.0.0.1:5432")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{pg_database}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_database: str | None) -> Iterator[str]:
    """A migrated, empty store on SQLite or on PostgreSQL."""
    from sqlalchemy import create_engine

    from services.storage.migrations import upgrade
    from shared.store.tables import metadata

    url = store_url(request.param, tmp_path, pg_database)
    upgrade(url)
    yield url
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()
