"""Gateway's settings: the store, the listener, page sizes, and access (API keys, rate limit,
CORS; shared with ingestion in shared/auth.py)."""
from __future__ import annotations

from pydantic import Field

from shared.auth import AccessSettings
from shared.config import DatabaseSettings


class GatewaySettings(DatabaseSettings, AccessSettings):
    service_name: str = "gateway"
    gateway_host: str = Field(default="127.0.0.1", description="interface of the query API")
    gateway_port: int = Field(default=8000, description="its port")
    gateway_default_limit: int = Field(default=100, description="page size when `limit` is absent")
    gateway_max_limit: int = Field(default=1000, description="largest `limit`")
    # 1: in process.
    gateway_workers: int = Field(default=1, description="uvicorn worker processes serving the API (each with its "
                                 "own store pool; rate limits count per process)")
    gateway_stream_keepalive_s: float = Field(
        default=15.0, description="seconds between keep-alive comments (carrying the stream position) on an idle "
        "`GET /v1/stream`")
