"""Geocoding's settings."""
from __future__ import annotations

from shared.config import GazetteerSettings


class GeocodingSettings(GazetteerSettings):
    service_name: str = "geocoding"
    ops_port: int | None = 9103
