"""Fixtures of the store tests: the incident store (storage's writer) and the gateway reading the
same database, on SQLite and on PostgreSQL (`db_url` in tests/conftest.py)."""
from __future__ import annotations

import httpx
import pytest

from services.gateway.api import create_app
from services.gateway.settings import GatewaySettings
from services.storage.adapters.sql import SqlIncidentStore, make_engine


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
