"""Gateway's composition root."""
from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import FastAPI

from services.gateway.api import create_app
from services.gateway.settings import GatewaySettings
from shared.service import start_service


def main() -> None:
    settings = GatewaySettings()
    start_service(settings)
    serve: dict[str, Any] = {"host": settings.gateway_host, "port": settings.gateway_port, "log_config": None,
                             "access_log": False}
    if settings.gateway_workers > 1:  # each worker process builds its own app from the environment
        uvicorn.run("services.gateway.main:app_from_environment", factory=True, workers=settings.gateway_workers,
                    **serve)
    else:
        uvicorn.run(create_app(settings), **serve)


def app_from_environment() -> FastAPI:
    """The app of one uvicorn worker process (GATEWAY_WORKERS > 1)."""
    settings = GatewaySettings()
    start_service(settings)
    return create_app(settings)
