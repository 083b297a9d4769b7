"""API keys and the per-key rate limit (shared/auth.py): parsing the configuration, the moving
window, and what a caller of a guarded route sees (401, 403, 429 with Retry-After) on a tiny app,
no store needed."""
from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from shared.auth import AccessSettings, RateLimiter, access_guard, guard_dependencies, parse_api_keys
from shared.http import install_error_handlers


def test_api_keys_parse_names_scopes_and_own_limits():
    keys = parse_api_keys("t1=analyst:read, t2=feeder:ingest:5 ,t3=admin")
    assert keys["t1"].name == "analyst" and keys["t1"].scopes == {"read"} and keys["t1"].per_minute is None
    assert keys["t2"].scopes == {"ingest"} and keys["t2"].per_minute == 5
    assert keys["t3"].scopes == {"read", "ingest", "admin"}
    assert parse_api_keys("") == {} and parse_api_keys(None) == {}


@pytest.mark.parametrize("raw, fragment", [
    ("no-equals-sign", "entry 1"), ("t=name:write", "unknown scopes"), ("a=x, t=name:read:many", "per_minute"),
    ("t=", "entry 1"),
])
def test_bad_api_keys_are_refused_without_echoing_the_token(raw, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        parse_api_keys(raw)
    assert "t=" not in str(err.value) and "no-equals-sign" not in str(err.value)


def test_the_limit_allows_per_minute_requests_then_says_when_the_window_frees():
    limiter = RateLimiter()
    assert [limiter.take("k", 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k", 3)
    assert 55.0 < wait <= 60.0  # when the first of the three leaves the 60 s window
    assert limiter.take("other", 3) == 0.0  # counted per caller
    assert limiter.take("k", 4) == 0.0  # a larger limit for the same caller is a limit of its own
    assert limiter.take("k", 0) == 0.0  # 0: no limit


def app_with(**settings) -> FastAPI:
    access = AccessSettings(_env_file=None, **settings)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/read", dependencies=guard_dependencies(access_guard(access, "read", limiter=RateLimiter())))
    def read() -> dict:
        return {"ok": True}

    @app.post("/ingest", dependencies=guard_dependencies(access_guard(access, "ingest", limiter=RateLimiter())))
    def ingest() -> dict:
        return {"ok": True}

    return app


async def call(app: FastAPI, method: str, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
        return await client.request(method, path, headers=headers)


async def test_keys_are_checked_for_presence_validity_and_scope():
    app = app_with(api_keys="r-token=analyst:read,i-token=feeder:ingest",
                   gateway_require_key_for_reads=True, ingestion_require_key=True)
    missing = await call(app, "GET", "/read")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.headers["content-type"] == "application/problem+json"
    assert (await call(app, "GET", "/read", "wrong")).status_code == 401
    forbidden = await call(app, "POST", "/ingest", "r-token")
    assert forbidden.status_code == 403 and "ingest" in forbidden.json()["detail"]
    assert (await call(app, "GET", "/read", "r-token")).status_code == 200
    assert (await call(app, "POST", "/ingest", "i-token")).status_code == 200


async def test_reads_are_open_unless_configured_but_a_wrong_token_is_still_refused():
    app = app_with(api_keys="r-token=analyst:read")
    assert (await call(app, "GET", "/read")).status_code == 200
    assert (await call(app, "POST", "/ingest")).status_code == 200
    assert (await call(app, "GET", "/read", "stolen")).status_code == 401


async def test_a_key_over_its_limit_gets_429_with_retry_after_and_others_go_on():
    app = app_with(api_keys="a=alice:read,b=bob:read:1", rate_limit_per_minute=2)
    assert [(await call(app, "GET", "/read", "a")).status_code for _ in range(3)] == [200, 200, 429]
    limited = await call(app, "GET", "/read", "a")
    assert limited.status_code == 429 and limited.headers["content-type"] == "application/problem+json"
    assert 55 < int(limited.headers["retry-after"]) <= 60  # when the first request leaves the window
    assert [(await call(app, "GET", "/read", "b")).status_code for _ in range(2)] == [200, 429]  # its own limit
    assert (await call(app, "GET", "/read")).status_code == 200  # anonymous callers: a limit of their own


def test_a_service_without_access_settings_has_no_guard():
    assert access_guard(object(), "ingest") is None and guard_dependencies(None) == []


async def test_ingestion_posts_need_an_ingest_key_when_required():
    from services.ingestion.api import create_app as create_ingestion
    from services.ingestion.settings import IngestionSettings

    app = create_ingestion(IngestionSettings(_env_file=None, api_keys="r=reader:read", ingestion_require_key=True))
    body = {"text": "A drone was shot down."}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://in") as client:
        missing = await client.post("/v1/articles", json=body)
        assert missing.status_code == 401 and missing.headers["content-type"] == "application/problem+json"
        wrong_scope = await client.post("/v1/articles/batch", json={"articles": [body]},
                                        headers={"Authorization": "Bearer r"})
        assert wrong_scope.status_code == 403


async def test_the_gateway_guards_its_reads_but_not_its_health_and_answers_cors_preflights():
    from services.gateway.api import create_app as create_gateway
    from services.gateway.settings import GatewaySettings

    app = create_gateway(GatewaySettings(_env_file=None, database_url="sqlite:///unused.db", api_keys="k=analyst:read",
                                         gateway_require_key_for_reads=True, cors_origins="https://maps.example"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        for path in ("/v1/events", "/v1/events.csv", "/v1/stats", "/v1/articles/a-1", "/v1/events/e-1"):
            assert (await client.get(path)).status_code == 401, path
        assert (await client.get("/healthz")).status_code == 200
        preflight = {"Origin": "https://maps.example", "Access-Control-Request-Method": "GET",
                     "Access-Control-Request-Headers": "authorization"}
        allowed = await client.options("/v1/events", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://maps.example"
        other = await client.options("/v1/events", headers={**preflight, "Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
