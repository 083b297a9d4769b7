"""Ingestion's composition root: settings, logging, the feeds file checked, then the HTTP server."""
from __future__ import annotations

import uvicorn

from services.ingestion.api import create_app
from services.ingestion.settings import IngestionSettings
from services.ingestion.sources.feeds import load_feeds_file
from shared.service import start_service, stop_on_bad_data


def main() -> None:
    settings = IngestionSettings()
    start_service(settings)
    if settings.ingestion_feeds_file:
        with stop_on_bad_data():  # a malformed feeds file stops the service before it serves anything
            load_feeds_file(settings.ingestion_feeds_file)
    uvicorn.run(create_app(settings), host=settings.ingestion_host, port=settings.ingestion_port,
                log_config=None, access_log=False)
