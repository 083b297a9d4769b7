"""Geocoding's settings. The Nominatim look-up is off unless GEOCODING_NOMINATIM_URL is set."""
from __future__ import annotations

from shared.config import GazetteerSettings


class GeocodingSettings(GazetteerSettings):
    service_name: str = "geocoding"
    ops_port: int | None = 9103
    # Optional Nominatim-compatible search service (e.g. http://nominatim.internal:8080) that adds
    # street coordinates; unset = gazetteer only, nothing leaves the process.
    geocoding_nominatim_url: str | None = None
    geocoding_nominatim_timeout_s: float = 3.0  # per HTTP request (connect and read)
    geocoding_nominatim_retries: int = 2  # extra attempts after a timeout or 5xx, with backoff
    geocoding_nominatim_rate_per_s: float = 1.0  # the public service's usage policy allows 1/s
    geocoding_nominatim_user_agent: str = "dronewatch-geocoding/1.0"
    geocoding_nominatim_cache_size: int = 10_000  # LRU entries (answers, including "nothing found")
    geocoding_nominatim_budget_s: float = 10.0  # look-up time per report; later mentions keep the gazetteer
