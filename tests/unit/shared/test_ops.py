"""The workers' ops endpoint: liveness, readiness that follows the runner, Prometheus text."""
from __future__ import annotations

import httpx

from shared.metrics import ServiceMetrics
from shared.ops import OpsServer


async def test_health_readiness_and_metrics():
    metrics = ServiceMetrics("storage")
    metrics.consumed.labels("storage", "events.geocoded.v1").inc(3)
    state = {"ready": False}
    server = OpsServer("127.0.0.1", 0, metrics, lambda: state["ready"])
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 503
            state["ready"] = True
            assert (await client.get("/readyz")).json() == {"status": "ready"}
            text = (await client.get("/metrics")).text
            assert 'dronewatch_messages_consumed_total{service="storage",topic="events.geocoded.v1"} 3.0' in text
            assert (await client.get("/nope")).status_code == 404
            assert (await client.post("/metrics")).status_code == 405
    finally:
        await server.stop()
