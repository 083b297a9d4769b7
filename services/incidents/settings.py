"""The incidents service's settings: its own state store and the matching rules' figures."""
from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from services.incidents.rules import Rules
from shared.config import BaseServiceSettings


class IncidentsSettings(BaseServiceSettings):
    service_name: str = "incidents"
    ops_port: int | None = 9104
    incidents_database_url: str = Field(
        "sqlite:///var/incidents.db",
        description="its own state store (incidents, claims, routes; tables `incstate_*`): a SQLite file, or "
        "PostgreSQL shared by all its workers (compose: the store's database); not the query store")
    incidents_near_km: float = Field(
        15.0, description="two point places (city, city district, street) this close are one place (km)")
    incidents_published_window_h: float = Field(
        12.0, description="a report whose text gives no time: the window before its publication (hours)")
    incidents_slack_h: float = Field(2.0, description="time windows this far apart still overlap (hours)")
    incidents_max_span_h: float = Field(
        24.0, description="an incident spans at most this long, so daily reports do not chain without end (hours)")
    incidents_cache_claims: int = Field(
        20_000, description="incidents kept in memory between transactions, counted in claims (least recently "
        "used go first; a cache bounded by design)")
    incidents_max_claims_published: int = Field(
        100, description="claims one incidents.v1 message carries at most (`claims_total` gives the number)")

    def rules(self) -> Rules:
        return Rules(near_km=self.incidents_near_km,
                     published_window=timedelta(hours=self.incidents_published_window_h),
                     slack=timedelta(hours=self.incidents_slack_h),
                     max_span=timedelta(hours=self.incidents_max_span_h))
