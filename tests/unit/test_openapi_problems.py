"""Both OpenAPI documents say what the services answer on error: every 4xx and 5xx of every
operation is `application/problem+json` with the Problem schema (shared/openapi.py), except
/readyz's 503; guarded routes document 401/403/429, routes with a body 400/413, and the answers
themselves are problems of that shape."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.gateway.api import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.ingestion.api import create_app as create_ingestion
from services.ingestion.settings import IngestionSettings
from shared.openapi import PROBLEM_SCHEMA

KEYS = {"api_keys": "t0ken=tester", "ingestion_require_key": True, "gateway_require_key_for_reads": True}


def _documents() -> list[tuple[str, dict]]:
    return [("ingestion", create_ingestion(IngestionSettings(_env_file=None, **KEYS)).openapi()),  # type: ignore[arg-type]
            ("gateway", create_gateway(GatewaySettings(_env_file=None, **KEYS)).openapi())]  # type: ignore[arg-type]


@pytest.mark.parametrize(("service", "doc"), _documents(), ids=["ingestion", "gateway"])
def test_every_error_answer_is_documented_as_a_problem(service, doc):
    assert doc["components"]["schemas"]["Problem"] == PROBLEM_SCHEMA
    assert "HTTPValidationError" not in doc["components"]["schemas"]  # FastAPI's own 422 shape is gone
    seen = 0
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if status[0] not in "45" or (path == "/readyz" and status == "503"):
                    continue
                seen += 1
                assert response["content"] == {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}}, (service, method, path, status)
    assert seen > 20, seen


@pytest.mark.parametrize(("service", "doc"), _documents(), ids=["ingestion", "gateway"])
def test_guarded_routes_document_the_key_answers_and_bodies_their_limits(service, doc):
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            statuses = set(op["responses"])
            if op.get("security"):
                assert {"401", "403", "429"} <= statuses, (service, method, path)
            if "requestBody" in op:
                assert {"400", "413", "422"} <= statuses, (service, method, path)


def test_the_ingestion_document_names_the_statuses_its_routes_answer():
    doc = dict(_documents())["ingestion"]
    for path in ("/v1/admin/feeds/{fid}", "/v1/admin/channels/{cid}"):
        for method in ("get", "patch", "delete"):
            assert "404" in doc["paths"][path][method]["responses"], (method, path)
    assert "409" in doc["paths"]["/v1/admin/feeds"]["post"]["responses"]
    ready = doc["paths"]["/readyz"]["get"]["responses"]["503"]["content"]
    assert list(ready) == ["application/json"]  # its `status` is a word, not a problem's number


def test_a_body_that_is_not_json_is_a_problem_as_documented(tmp_path):
    """The answer the issue found undocumented: 422 for a body that is not JSON, served as problem+json."""
    settings = IngestionSettings(_env_file=None, data_dir=tmp_path, **KEYS)  # type: ignore[arg-type]
    app = create_ingestion(settings)
    client = TestClient(app)  # no lifespan: validation answers before any route runs
    for path in ("/v1/articles/batch", "/v1/telegram/posts/batch"):
        resp = client.post(path, content=b"not json", headers={"Authorization": "Bearer t0ken",
                                                                 "Content-Type": "application/json"})
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        body = resp.json()
        assert set(PROBLEM_SCHEMA["required"]) <= set(body) and body["status"] == 422
        assert "422" in app.openapi()["paths"][path]["post"]["responses"]


def test_an_unknown_key_is_a_documented_401_problem():
    app = create_gateway(GatewaySettings(_env_file=None, **KEYS))  # type: ignore[arg-type]
    resp = TestClient(app).get("/v1/stats", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401 and resp.headers["content-type"] == "application/problem+json"
