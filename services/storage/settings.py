"""Storage's settings."""
from __future__ import annotations

from pydantic import Field

from shared.config import DatabaseSettings


class StorageSettings(DatabaseSettings):
    service_name: str = "storage"
    ops_port: int | None = 9101
    storage_migrate_on_start: bool = Field(default=True, description="run Alembic migrations when storage starts")
