"""Backups that restore: a store holding reports, events and incidents (and whatever else the
store's tables hold) is backed up with deploy/backup.sh, the script docs/operations.md gives, restored into a new
database, and the gateway answers a fixed set of queries identically from both. SQLite goes
through the online backup API, PostgreSQL through pg_dump and pg_restore."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from services.gateway.api import create_app
from services.gateway.settings import GatewaySettings
from shared.messages import Claim, Evidence, GeocodedArticle, Incident, Location, Reconciled, TimeWindow
from shared.store.tables import metadata
from tests.builders import make_article, make_event
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "backup.sh"
# What an analyst asks; a new resource adds its queries here.
QUERIES = [
    "/v1/incidents", "/v1/incidents?min_sources=2", "/v1/incidents?article_id=a-ua", "/v1/incidents.geojson",
    "/v1/incidents.csv", "/v1/incidents/i-kh", "/v1/incidents/i-old", "/v1/stats?of=incidents",
    "/v1/events", "/v1/events?limit=2", "/v1/events?admin1=RU-ROS&type=impact", "/v1/events?country=UA",
    "/v1/events?q=беспилотника", "/v1/events?bbox=30,45,45,55", "/v1/events.geojson", "/v1/events.csv",
    "/v1/events/e-mill", "/v1/events/e-none", "/v1/articles/a-ru", "/v1/articles/a-ua", "/v1/articles/a-failed",
    "/v1/stats", "/v1/stats?group_by=admin1,type", "/v1/stats?group_by=weapon&since=2026-03-02T00:00:00Z",
]
ROSTOV = Location(mention="Ростовской области", name="Rostov Oblast", country_code="RU", admin1_code="RU-ROS",
                  admin1="Rostov Oblast", lat=47.7, lon=40.9, precision="admin1", confidence=0.9)
KHARKIV = Location(mention="Kharkiv", name="Kharkiv", country_code="UA", admin1_code="UA-63", admin1="Kharkiv Oblast",
                   city="Kharkiv", lat=49.99, lon=36.23, precision="city", confidence=0.9)


def at(day: int, hour: int = 0) -> TimeWindow:
    return TimeWindow(start=datetime(2026, 3, day, hour, tzinfo=UTC), precision="hour")


async def fill(store) -> None:
    """Reports (processed and failed) and their events, written by storage's own adapter."""
    for article_id, body in (("a-ru", "Сбиты три беспилотника над Ростовской областью."),
                             ("a-ua", "Drones attacked Kharkiv overnight."), ("a-failed", "???")):
        await store.record_received(make_article(id=article_id, text=body, content_hash=article_id.ljust(64, "0")))
    evidence = [Evidence(article_id="a-ru", field="count", span=(6, 22), text="три беспилотника")]
    await store.record_geocoded(GeocodedArticle(article_id="a-ru", language="ru", events=[
        make_event("a-ru", id="e-mill", location=ROSTOV, count=3, occurred_at=at(1, 2), evidence=evidence),
        make_event("a-ru", id="e-ros", type="impact", weapon="missile", location=ROSTOV, killed=2, injured=5,
                   occurred_at=at(2, 10)),
    ]))
    await store.record_geocoded(GeocodedArticle(article_id="a-ua", language="en", events=[
        make_event("a-ua", id="e-kh", type="attack", location=KHARKIV, count=12, injured=3, occurred_at=at(2, 23))]))
    await store.record_failed("a-failed", "extraction: nothing to read")
    claims = [Claim(event_id="e-kh", article_id="a-ua", claimed_by="Mayor", source="site-a", count=12, injured=3,
                    location=KHARKIV),
              Claim(event_id="e-kh2", article_id="a-ua2", claimed_by="Air Force", source="site-b", count=10,
                    location=KHARKIV)]
    await store.record_incidents([
        Incident(id="i-kh", version=2, change="updated", type="attack", weapon="uav", location=KHARKIV,
                 occurred_at=at(2, 23), count=Reconciled(value=12, event_id="e-kh"), count_range=(10, 12),
                 injured=Reconciled(value=3, event_id="e-kh"), sources=2, claims=claims),
        Incident(id="i-old", version=3, change="merged", status="merged", merged_into="i-kh", type="attack",
                 weapon="uav", location=KHARKIV, sources=1, claims=claims[1:]),
    ])


async def answers(db_url: str) -> dict[str, tuple[int, str]]:
    app = create_app(GatewaySettings(_env_file=None, database_url=db_url))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        return {q: ((r := await client.get(q)).status_code, r.text) for q in QUERIES}


def row_counts(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables}
    finally:
        engine.dispose()


def backup_sh(*args: str, stdin: Path | None = None, stdout: Path | None = None, env: dict | None = None) -> None:
    with (open(stdin, "rb") if stdin else open(os.devnull, "rb")) as fin, \
         (open(stdout, "wb") if stdout else open(os.devnull, "wb")) as fout:
        done = subprocess.run(["sh", str(SCRIPT), *args], stdin=fin, stdout=fout, stderr=subprocess.PIPE,
                              env={**os.environ, **(env or {})}, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def pg_options(db_url: str) -> tuple[list[str], dict[str, str]]:
    """libpq options and environment for the database of an SQLAlchemy URL."""
    url = make_url(db_url)
    return ([f"--host={url.host or '127.0.0.1'}", f"--port={url.port or 5432}", f"--username={url.username}"],
            {"PGPASSWORD": url.password or ""})


@pytest.fixture
def new_pg_database() -> Iterator[str]:
    name = f"dronewatch_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def test_a_restored_store_answers_every_query_as_the_original(db_url, store, tmp_path, request):
    await fill(store)
    before, counts = await answers(db_url), row_counts(db_url)
    assert before["/v1/events"][0] == 200 and '"e-kh"' in before["/v1/events"][1]
    assert {q for q, (status, _) in before.items() if status != 200} == {"/v1/events/e-none"}
    assert '"i-kh"' in before["/v1/incidents"][1] and '"merged_into":"i-kh"' in before["/v1/incidents/i-old"][1]
    assert counts["articles"] == 3 and counts["events"] == 3 and counts["incidents"] == 2
    if db_url.startswith("sqlite"):
        restored = f"sqlite:///{tmp_path / 'restored.db'}"
        backup_sh("copy-sqlite", make_url(db_url).database, str(tmp_path / "backup.db"))  # online backup
        backup_sh("copy-sqlite", str(tmp_path / "backup.db"), str(tmp_path / "restored.db"))  # restore
    else:
        if shutil.which("pg_dump") is None:
            pytest.fail("pg_dump is missing: apt-get install postgresql-client (make test installs it)")
        restored = request.getfixturevalue("new_pg_database")
        options, env = pg_options(db_url)
        backup_sh("dump-store", *options, make_url(db_url).database, stdout=tmp_path / "store.dump", env=env)
        backup_sh("restore-store", *options, f"--dbname={make_url(restored).database}",
                  stdin=tmp_path / "store.dump", env=env)
    assert row_counts(restored) == counts
    assert await answers(restored) == before
