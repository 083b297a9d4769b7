"""Fixtures of the store tests: the incident store (storage's writer) and the gateway reading the
same database, on SQLite and on PostgreSQL (`db_url` in tests/conftest.py); and the incidents
service's own state store (`state_url`)."""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy import create_engine

from services.gateway.api import create_app
from services.gateway.settings import GatewaySettings
from services.incidents.adapters.tables import metadata as incidents_state
from services.storage.adapters.sql import SqlIncidentStore, make_engine
from tests.conftest import store_url


@pytest.fixture
def store(db_url):
    engine = make_engine(db_url)
    yield SqlIncidentStore(engine)
    engine.dispose()


@pytest.fixture
async def gateway(db_url):
    app = create_app(GatewaySettings(_env_file=None, database_url=db_url))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            yield client


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, tmp_path, pg_database):
    """The incidents service's state store, empty: a SQLite file of the test's own, or the session's
    PostgreSQL database with its `incstate_*` tables dropped before the test and after it. Before
    too: the database is shared by the whole session, and a stack of the e2e tests (which run first
    in `make test`) leaves its incidents there; a test reading every incident held would count them."""
    url = store_url(request.param, tmp_path, pg_database)
    if request.param == "postgresql":
        _drop_incidents_state(url)
    yield url
    if request.param == "postgresql":
        _drop_incidents_state(url)


def _drop_incidents_state(url: str) -> None:
    engine = create_engine(url)
    incidents_state.drop_all(engine)
    engine.dispose()
