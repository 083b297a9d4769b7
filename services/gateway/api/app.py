"""Builds the gateway's FastAPI app: engine in the lifespan, routes behind the access guard,
error shapes, CORS."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, create_engine, event

from services.gateway.api.routes import articles, events, health, incidents, stats, stream
from services.gateway.filters import register_sqlite_functions
from services.gateway.live import LiveFeed
from services.gateway.metrics import StreamMetrics
from services.gateway.regions import Regions
from services.gateway.settings import GatewaySettings
from shared.auth import access_guard, guard_dependencies
from shared.http import install_cors, install_error_handlers
from shared.http_metrics import install_metrics
from shared.metrics import ServiceMetrics

WEB_DIR = Path(__file__).resolve().parents[1] / "web"  # the map page: index.html, app.js, vendored libs


def make_read_engine(url: str, regions: Regions | None = None) -> Engine:
    """The gateway's pool of read connections; on SQLite each gets the functions the filters use
    (`region=` needs `regions`)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               pool_size=10, max_overflow=30)
        event.listen(engine, "connect", partial(register_sqlite_functions, regions=regions))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30)


def create_app(settings: GatewaySettings, *, engine: Engine | None = None) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = engine is None
        app.state.engine = engine or make_read_engine(settings.database_url, app.state.regions)
        app.state.settings = settings
        app.state.live = LiveFeed(settings)  # the stream's topic consumer, shared by all clients
        app.state.live.start()
        try:
            yield
        finally:
            await app.state.live.stop()
            if own:
                app.state.engine.dispose()

    app = FastAPI(title="dronewatch gateway", version="1", lifespan=lifespan,
                  description="Query geolocated drone and missile incident events.")
    install_error_handlers(app)
    metrics = ServiceMetrics("gateway")
    install_metrics(app, metrics)
    app.state.stream_metrics = StreamMetrics(metrics)
    install_cors(app, settings.cors_origins)
    app.state.regions = Regions()  # the outlines `region=` filters by, read on first use

    reads = guard_dependencies(access_guard(settings, "read"))
    app.include_router(health.router)
    for router in (articles.router, events.router, incidents.router, stats.router):
        app.include_router(router, dependencies=reads)
    app.include_router(stream.router, dependencies=reads)
    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="map")
    return app
