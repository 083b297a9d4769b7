"""Gateway's settings."""
from __future__ import annotations

from shared.config import DatabaseSettings


class GatewaySettings(DatabaseSettings):
    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    gateway_default_limit: int = 100
    gateway_max_limit: int = 1000
