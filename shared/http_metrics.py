"""Request metrics and GET /metrics for the FastAPI services (ingestion, gateway)."""
from __future__ import annotations

import time

from fastapi import FastAPI, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import ServiceMetrics


def install_metrics(app: FastAPI, metrics: ServiceMetrics) -> None:
    """Count requests by route template (not raw path, which would explode the label set) and
    status, time them (to the response's first byte, so a stream counts once it starts), and serve
    the registry at /metrics."""
    app.add_middleware(_RequestMetrics, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def _metrics() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)


class _RequestMetrics:
    """Plain ASGI middleware: Starlette's BaseHTTPMiddleware (`@app.middleware`) runs each request
    in a task group with memory streams, which cost more CPU than a small query."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        m = self.metrics
        started = time.perf_counter()
        in_progress = m.requests_in_progress.labels(m.service)
        in_progress.inc()
        done = False

        async def counting_send(message: Message) -> None:
            nonlocal done
            if message["type"] == "http.response.start" and not done:
                done = True
                in_progress.dec()
                route = _template(scope)
                m.requests.labels(m.service, route, str(message["status"])).inc()
                m.request_seconds.labels(m.service, route).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if not done:
                in_progress.dec()


def _template(scope: Scope) -> str:
    """The matched route's template ('/v1/articles/{article_id}'), set in the scope by routing."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
