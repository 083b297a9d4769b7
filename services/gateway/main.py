"""Gateway's composition root."""
from __future__ import annotations

import uvicorn

from services.gateway.api import create_app
from services.gateway.settings import GatewaySettings
from shared.service import start_service


def main() -> None:
    settings = GatewaySettings()
    start_service(settings)
    uvicorn.run(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                log_config=None, access_log=False)
