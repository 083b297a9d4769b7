"""Builds the gateway's FastAPI app: engine in the lifespan, routes, error shapes."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy import Engine, create_engine

from services.gateway.api.routes import articles, events, health
from services.gateway.settings import GatewaySettings
from shared.http import install_error_handlers
from shared.http_metrics import install_metrics
from shared.metrics import ServiceMetrics


def make_read_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    return create_engine(url, pool_pre_ping=True, pool_size=10)


def create_app(settings: GatewaySettings, *, engine: Engine | None = None) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = engine is None
        app.state.engine = engine or make_read_engine(settings.database_url)
        app.state.settings = settings
        try:
            yield
        finally:
            if own:
                app.state.engine.dispose()

    app = FastAPI(title="dronewatch gateway", version="1", lifespan=lifespan,
                  description="Query geolocated drone and missile incident events.")
    install_error_handlers(app)
    install_metrics(app, ServiceMetrics("gateway"))

    app.include_router(health.router)
    app.include_router(articles.router)
    app.include_router(events.router)
    return app
