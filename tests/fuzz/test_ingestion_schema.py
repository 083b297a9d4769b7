"""Property-based run of schemathesis against ingestion's own OpenAPI document, every operation,
in-process over ASGI (a real SQLite outbox, the encoding publisher of conftest.py), with an API key
required and sent, so the write and admin routes do their work instead of answering 401: whatever
the generated request (valid and invalid alike, NUL bytes included), never a 5xx, and every answer's
status, content type and body as the document says.

A feed and a channel exist before each call (made through the API), and an operation on one
(`{fid}`, `{cid}`) is aimed at it about half the time, so show, change, poll and remove meet a real
row, not only 404s. Nothing is fetched from the internet: conftest's `no_network` refuses outbound
connections and name look-ups, the seeded feed lives on a `.invalid` host and the channel preview
URL points there too."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.ingestion.api import create_app
from services.ingestion.settings import IngestionSettings
from tests.fuzz.conftest import Api

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
TOKEN = "fuzz-token"  # noqa: S105 - a test key
AUTH = {"Authorization": f"Bearer {TOKEN}"}
KEYED = {"api_keys": f"{TOKEN}=fuzzer", "ingestion_require_key": True,
         "ingestion_telegram_preview_url": "http://preview.invalid"}
FEED = {"url": "http://feeds.invalid/rss.xml", "name": "fuzz feed"}
CHANNEL = {"name": "fuzzchannel"}
# Examples per operation: about 30 s for the whole file (18 operations) on this machine.
EXAMPLES = 100


def _operations() -> list[str]:
    """Every operation in the document, as "METHOD path" (read at collection, so a new route is fuzzed too)."""
    doc = create_app(IngestionSettings(_env_file=None, **KEYED)).openapi()  # type: ignore[arg-type]
    return [f"{method.upper()} {path}" for path, ops in doc["paths"].items() for method in ops]


@pytest.fixture
def ingestion(tmp_path: Path, no_network: None) -> Iterator[Any]:
    """A fresh app per test: schemathesis runs its lifespan and ends it with the test (which closes
    the outbox the app was given)."""
    own = Api(tmp_path, **KEYED)
    schema = schemathesis.openapi.from_asgi("/openapi.json", own.app)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True)
    yield schema
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()
    own.outbox.close()


def _seed(schema: Any) -> dict[str, str]:
    """Make sure the feed and the channel exist (201, or 409 when they do); their ids."""
    for path, body in (("/v1/admin/feeds", FEED), ("/v1/admin/channels", CHANNEL)):
        resp = schema[path]["POST"].Case(body=body, headers=AUTH, media_type="application/json").call()
        assert resp.status_code in (201, 409), resp.text
    feeds = schema["/v1/admin/feeds"]["GET"].Case(headers=AUTH).call().json()
    return {"fid": next(f["id"] for f in feeds if f["url"] == FEED["url"]), "cid": CHANNEL["name"]}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("label", _operations())
def test_ingestion_never_fails_and_always_matches_its_schema(ingestion, label):
    method, path = label.split(" ", 1)
    operation = ingestion[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=cases, aim=st.booleans())
    def run(case, aim):
        seeded = _seed(ingestion)
        for name in ("fid", "cid"):
            if aim and case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = seeded[name]
        statuses.append(case.call_and_validate(headers=AUTH, checks=CHECKS).status_code)

    statuses: list[int] = []
    run()
    assert any(s < 300 for s in statuses), f"{label}: never succeeded, only {sorted(set(statuses))}"

