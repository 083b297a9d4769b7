"""Property-based run of schemathesis against the gateway's own OpenAPI schema, in-process over
ASGI, on real SQLite and PostgreSQL stores holding a few events and incidents, with a read key
required and sent: whatever the generated parameters (valid and invalid alike), no 5xx and every
response (status, content type, body) conforms to the schema."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.gateway.api import create_app
from services.gateway.settings import GatewaySettings
from services.storage.adapters.sql import SqlIncidentStore, make_engine
from shared.messages import GeocodedArticle, Location, TimeWindow
from tests.builders import make_article, make_claim, make_event, make_incident

pytestmark = pytest.mark.integration

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
KHARKIV = Location(mention="Харків", name="Kharkiv", country_code="UA", admin1_code="UA-63", lat=49.99, lon=36.23,
                   precision="city", confidence=0.9)


async def _fill(db_url: str) -> None:
    engine = make_engine(db_url)
    store = SqlIncidentStore(engine)
    await store.record_received(make_article(id="a-1"))
    await store.record_geocoded(GeocodedArticle(article_id="a-1", language="en", events=[
        make_event("a-1"),
        make_event("a-1", id="e-2", type="impact", weapon="missile", location=KHARKIV, killed=1,
                   occurred_at=TimeWindow(start=datetime(2026, 3, 1, tzinfo=UTC))),
        make_event("a-1", id="e-3", location=Location(mention="somewhere", reason="unknown"))]))
    await store.record_incidents([
        make_incident("i-1", [make_claim(make_event("a-1", id="e-2", location=KHARKIV, killed=1))], count_range=(1, 3)),
        make_incident("i-2", [], version=2, change="merged", status="merged", merged_into="i-1", location=KHARKIV),
        make_incident("i-3", [], version=2, change="retracted", status="retracted")])
    engine.dispose()


# The schema comes from the app itself; the app opens its store (the URL a test sets below) in its
# lifespan, which the ASGI client runs around every call.
# Reads need a key here, as in compose, and every call sends it: the routes answer with data, not 401s
# (schemathesis' negative cases still change or drop it, so 401 is checked against the document too).
TOKEN = "fuzz-read-token"  # noqa: S105 - a test key
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SETTINGS = GatewaySettings(_env_file=None, database_url="sqlite:///set-by-the-gateway_store-fixture.db",
                           api_keys=f"{TOKEN}=fuzzer:read", gateway_require_key_for_reads=True)
# The query API only: the live stream (/v1/stream) never ends a response; the map is static files.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(SETTINGS)).include(
    path_regex=r"^/(v1/(events|incidents|stats|articles)|healthz|readyz)")
# Invalid inputs too: wrong types, out-of-range numbers, odd characters, NUL bytes.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True)


@pytest.fixture
def gateway_store(db_url):
    """A store on SQLite or PostgreSQL with a few events, behind the schema's app."""
    asyncio.run(_fill(db_url))
    SETTINGS.database_url = db_url
    yield db_url


@pytest.mark.filterwarnings("ignore")
@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_gateway_never_fails_and_always_matches_its_schema(case, gateway_store):
    case.call_and_validate(headers=AUTH, checks=CHECKS)
