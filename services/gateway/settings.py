"""Gateway's settings: the store, the listener, page sizes, and access (API keys, rate limit,
CORS; shared with ingestion in shared/auth.py)."""
from __future__ import annotations

from shared.auth import AccessSettings
from shared.config import DatabaseSettings


class GatewaySettings(DatabaseSettings, AccessSettings):
    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    gateway_default_limit: int = 100
    gateway_max_limit: int = 1000
    # uvicorn worker processes (each with its own store pool and rate-limit buckets); 1: in process.
    gateway_workers: int = 1
    # GET /v1/stream: seconds between keep-alive comments on an idle stream.
    gateway_stream_keepalive_s: float = 15.0
