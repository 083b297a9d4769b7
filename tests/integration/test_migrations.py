"""Operators' path for schema changes: storage replicas that start together, or storage next to
`dronewatch migrate`, all run the migrations against one database. They must not race."""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.integration

MIGRATE = "from services.storage.migrations import upgrade; import sys; upgrade(sys.argv[1])"


def _heads() -> set[str]:
    from alembic.script import ScriptDirectory

    from services.storage.migrations import alembic_config

    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _fresh_pg_database() -> str:
    name = f"dronewatch_mig_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as err:  # noqa: BLE001
        pytest.skip(f"PostgreSQL is not reachable: {err}")
    return name


def _drop(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _run_together(url: str, n: int) -> list[subprocess.CompletedProcess[str]]:
    procs = [subprocess.Popen([sys.executable, "-c", MIGRATE, url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


def _check_at_head(url: str) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        versions = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert versions == _heads()
    assert {"articles", "events"} <= tables


def test_storage_replicas_migrating_one_postgres_database_at_once_all_succeed() -> None:
    name = _fresh_pg_database()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        results = _run_together(url, 3)
        assert [r.returncode for r in results] == [0, 0, 0], [r.stderr[-2000:] for r in results]
        _check_at_head(url)
        # an upgrade of a database already at head is a no-op, not an error
        again = _run_together(url, 1)[0]
        assert again.returncode == 0, again.stderr[-2000:]
    finally:
        _drop(name)


def test_sqlite_store_migrates_from_nothing_to_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    results = _run_together(url, 1)
    assert results[0].returncode == 0, results[0].stderr[-2000:]
    _check_at_head(url)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_migrations_build_exactly_the_schema_the_code_declares(kind: str, tmp_path: Path) -> None:
    """A column or index added to shared/store/tables.py without a migration (or the reverse) would
    work in tests that create tables from the code and fail on a migrated deployment."""
    import warnings

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from services.storage.migrations import upgrade
    from shared.store.tables import metadata

    name = _fresh_pg_database() if kind == "postgresql" else None
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}" if name else f"sqlite:///{tmp_path / 'store.db'}"
    try:
        upgrade(url)
        engine = create_engine(url)
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite reflection skips expression indexes, with a warning
            # SQLite's full-text table (migration 0005_search), its R*Trees (0006_spatial,
            # 0007_incidents) and the shadow tables they keep are virtual-table machinery that
            # SQLAlchemy cannot declare: left out by name, as are the tables PostGIS makes.
            context = MigrationContext.configure(conn, opts={"include_name": _not_virtual_table})
            assert compare_metadata(context, metadata) == []
        engine.dispose()
    finally:
        if name:
            _drop(name)


VIRTUAL_TABLES = ("events_fts", "events_rtree", "incidents_rtree")


def _not_virtual_table(name: str | None, type_: str, parent_names: object) -> bool:
    shadow = tuple(f"{t}_" for t in VIRTUAL_TABLES)
    return not (type_ == "table" and name is not None
                and (name in (*VIRTUAL_TABLES, "spatial_ref_sys") or name.startswith(shadow)))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_events_stored_before_the_spatial_indexes_are_found_through_them(kind: str, tmp_path: Path) -> None:
    """0006_spatial on a store that already holds events: the R*Tree is filled from them (PostGIS
    indexes them as it builds), the spatial filters find them, and the step downgrades and
    upgrades again."""
    from bench.gateway import make_rows
    from services.gateway.api.app import make_read_engine
    from services.gateway.filters import EventFilter, Near
    from services.gateway.queries import list_event_rows
    from services.storage.migrations import alembic_config, upgrade
    from shared.store.tables import articles, events

    name = _fresh_pg_database() if kind == "postgresql" else None
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}" if name else f"sqlite:///{tmp_path / 'store.db'}"
    arts, rows = make_rows(300)
    in_kursk_box = {r["id"] for r in rows if 35.2 <= r["lon"] <= 37.2 and 50.7 <= r["lat"] <= 52.7}

    def found(flt: EventFilter) -> set[str]:
        engine = make_read_engine(url)
        with engine.connect() as conn:
            page, _ = list_event_rows(conn, flt=flt, limit=1000, cursor=None)
        engine.dispose()
        return {r.id for r in page}

    try:
        upgrade(url, "0005_search")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(articles.insert(), arts)
            conn.execute(events.insert(), rows)
        engine.dispose()
        upgrade(url)
        assert in_kursk_box and found(EventFilter(bbox=(35.2, 50.7, 37.2, 52.7))) == in_kursk_box
        from alembic import command

        command.downgrade(alembic_config(url), "0005_search")
        upgrade(url)
        assert found(EventFilter(bbox=(35.2, 50.7, 37.2, 52.7))) == in_kursk_box
        assert found(EventFilter(near=Near(51.7, 36.2, 1000))) == {r["id"] for r in rows}
    finally:
        if name:
            _drop(name)


# --- ingestion's outbox (services/ingestion/migrations) ------------------------------------------

@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_outbox_migrations_build_exactly_the_outbox_the_code_declares(kind: str, tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from services.ingestion.adapters.outbox import SqlOutbox, metadata
    from services.ingestion.migrations import VERSION_TABLE

    name = _fresh_pg_database() if kind == "postgresql" else None
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}" if name else f"sqlite:///{tmp_path / 'ingestion.db'}"
    try:
        SqlOutbox(url).close()
        SqlOutbox(url).close()  # opening it again is a no-op
        engine = create_engine(url)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "version_table": VERSION_TABLE, "include_name": lambda n, t, _: t != "table" or n == "outbox"})
            assert compare_metadata(context, metadata) == []
            assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one() == "0002_redelivery"
        engine.dispose()
    finally:
        if name:
            _drop(name)


OLD_OUTBOX = ("CREATE TABLE outbox (id VARCHAR(200) NOT NULL PRIMARY KEY, content_hash VARCHAR(64) NOT NULL UNIQUE, "
              "received_at DATETIME NOT NULL, message TEXT NOT NULL, published_at DATETIME)")
IN_PLACE = ["ALTER TABLE outbox ADD COLUMN version INTEGER DEFAULT 1 NOT NULL",
            "ALTER TABLE outbox ADD COLUMN attempts INTEGER DEFAULT 0 NOT NULL",
            "ALTER TABLE outbox ADD COLUMN next_attempt_at DATETIME",
            "ALTER TABLE outbox ADD COLUMN stored_at DATETIME",
            "ALTER TABLE outbox ADD COLUMN gave_up_at DATETIME",
            "CREATE INDEX ix_outbox_pending ON outbox (received_at, published_at, next_attempt_at) "
            "WHERE stored_at IS NULL AND gave_up_at IS NULL",
            "CREATE INDEX ix_outbox_gave_up ON outbox (gave_up_at) WHERE gave_up_at IS NOT NULL"]


@pytest.mark.parametrize("release", ["first", "columns added in place"])
async def test_an_outbox_from_before_the_migrations_is_adopted_and_keeps_its_reports(release: str,
                                                                                    tmp_path: Path) -> None:
    """An outbox as the first release made it (no delivery columns), or as later ones left it (the
    columns and indexes added in place, no version): opened by this release, it is stamped at the
    revision it matches, upgraded, and every report is still there and still delivered."""
    from datetime import UTC, datetime

    from services.ingestion.adapters.outbox import SqlOutbox
    from services.ingestion.handlers import to_message
    from services.ingestion.schemas import ArticleIn

    url = f"sqlite:///{tmp_path / 'ingestion.db'}"
    old = to_message(ArticleIn(id="old-1", text="A drone was shot down over the Belgorod region overnight."))
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(OLD_OUTBOX))
        for statement in IN_PLACE if release != "first" else []:
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO outbox (id, content_hash, received_at, message) VALUES (:i, :h, :r, :m)"),
                     {"i": "old-1", "h": old.payload.content_hash, "r": datetime.now(UTC), "m": old.model_dump_json()})
    engine.dispose()
    outbox = SqlOutbox(url, redeliver_after_s=0)
    try:
        assert outbox.state("old-1") == {"version": 1, "attempts": 0, "published_at": None, "next_attempt_at": None,
                                         "stored_at": None, "gave_up_at": None}
        assert [m.payload.id for m in await outbox.due(older_than_s=0)] == ["old-1"]  # still to be published
        assert (await outbox.add(old))[1] is None  # and still answers duplicates
        assert await outbox.mark_stored("old-1", 1)
    finally:
        outbox.close()
