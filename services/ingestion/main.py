"""Ingestion's composition root: settings, logging, then the HTTP server."""
from __future__ import annotations

import uvicorn

from services.ingestion.api import create_app
from services.ingestion.settings import IngestionSettings
from shared.service import start_service


def main() -> None:
    settings = IngestionSettings()
    start_service(settings)
    uvicorn.run(create_app(settings), host=settings.ingestion_host, port=settings.ingestion_port,
                log_config=None, access_log=False)
