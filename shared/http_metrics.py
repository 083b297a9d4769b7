"""Request metrics and GET /metrics for the FastAPI services (ingestion, gateway)."""
from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request, Response

from shared.metrics import ServiceMetrics


def install_metrics(app: FastAPI, metrics: ServiceMetrics) -> None:
    """Count requests by route template (not raw path, which would explode the label set) and
    status, time them, and serve the registry at /metrics."""

    @app.middleware("http")
    async def _count(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        in_progress = metrics.requests_in_progress.labels(metrics.service)
        in_progress.inc()
        try:
            response = await call_next(request)
        finally:
            in_progress.dec()
        route = _template(request)
        metrics.requests.labels(metrics.service, route, str(response.status_code)).inc()
        metrics.request_seconds.labels(metrics.service, route).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", include_in_schema=False)
    def _metrics() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)


def _template(request: Request) -> str:
    """The matched route's template ('/v1/articles/{article_id}'), set in the scope by routing."""
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"
