"""What an operator reads off an HTTP service's /metrics: requests by route template and status,
their latency, and how many are being served right now."""
from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from shared.http_metrics import install_metrics
from shared.metrics import ServiceMetrics


def _app(metrics: ServiceMetrics, gate: asyncio.Event) -> FastAPI:
    app = FastAPI()
    install_metrics(app, metrics)

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await gate.wait()
        return {}

    return app


def _value(metrics: ServiceMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"service": "svc", **labels})


async def test_requests_are_counted_by_route_template_and_status_and_timed() -> None:
    metrics = ServiceMetrics("svc")
    app = _app(metrics, asyncio.Event())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for thing in ("a", "b", "c"):
            assert (await client.get(f"/v1/things/{thing}")).status_code == 200
        assert (await client.get("/nowhere")).status_code == 404
        text = (await client.get("/metrics")).text
    route = "/v1/things/{thing_id}"
    assert _value(metrics, "dronewatch_http_requests_total", route=route, status="200") == 3
    assert _value(metrics, "dronewatch_http_requests_total", route="unmatched", status="404") == 1
    assert _value(metrics, "dronewatch_http_request_seconds_count", route=route) == 3
    assert "dronewatch_http_requests_in_progress" in text


async def test_in_progress_shows_requests_still_being_served() -> None:
    metrics = ServiceMetrics("svc")
    gate = asyncio.Event()
    app = _app(metrics, gate)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        pending = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
        for _ in range(100):
            if _value(metrics, "dronewatch_http_requests_in_progress") == 2:
                break
            await asyncio.sleep(0.01)
        assert _value(metrics, "dronewatch_http_requests_in_progress") == 2
        gate.set()
        await asyncio.gather(*pending)
    assert _value(metrics, "dronewatch_http_requests_in_progress") == 0
