"""Ingestion's settings."""
from __future__ import annotations

from shared.config import BaseServiceSettings


class IngestionSettings(BaseServiceSettings):
    service_name: str = "ingestion"
    ingestion_host: str = "127.0.0.1"
    ingestion_port: int = 8001
    # Ingestion's own durable record of what it accepted (the outbox); not the incident store.
    ingestion_db_url: str = "sqlite:///var/ingestion.db"
    ingestion_max_body_bytes: int = 1_000_000
    ingestion_max_batch_body_bytes: int = 20_000_000
    ingestion_max_batch_items: int = 1000
    # Accepted reports whose publication failed are re-published by a background relay.
    ingestion_relay_interval_s: float = 2.0
