"""Geocoding's settings. The Nominatim look-up is off unless GEOCODING_NOMINATIM_URL is set."""
from __future__ import annotations

from pydantic import Field

from shared.config import GazetteerSettings


class GeocodingSettings(GazetteerSettings):
    service_name: str = "geocoding"
    ops_port: int | None = 9103
    # e.g. http://nominatim.internal:8080; unset = gazetteer only, nothing leaves the process.
    geocoding_nominatim_url: str | None = Field(
        default=None, description="a Nominatim-compatible search service for street and other fine coordinates "
        "(unset: off, the gazetteer only)")
    geocoding_nominatim_timeout_s: float = Field(default=3.0, description="per request (connect and read)")
    geocoding_nominatim_retries: int = Field(default=2, description="extra attempts after a timeout, 429 or 5xx, "
                                             "with backoff")
    geocoding_nominatim_rate_per_s: float = Field(default=1.0, description="request rate limit (the public "
                                                  "service's usage policy is 1/s)")
    geocoding_nominatim_user_agent: str = Field(default="dronewatch-geocoding/1.0",
                                                description="identifies us to the service")
    geocoding_nominatim_cache_size: int = Field(default=10_000, description="answers kept, least recently used "
                                                "out first (including \"nothing found\")")
    geocoding_nominatim_budget_s: float = Field(default=10.0, description="total look-up time per report; later "
                                                "mentions keep the gazetteer's answer")
