"""The incidents service's settings: its own state store and the matching rules' figures."""
from __future__ import annotations

from datetime import timedelta

from services.incidents.rules import Rules
from shared.config import BaseServiceSettings


class IncidentsSettings(BaseServiceSettings):
    service_name: str = "incidents"
    ops_port: int | None = 9104
    # The service's own state (incidents, claim index, routes): a SQLite file, or PostgreSQL by URL
    # (several workers on several hosts must share one). Not the query store: storage writes that.
    incidents_database_url: str = "sqlite:///var/incidents.db"
    incidents_near_km: float = 15.0  # two point places this close are one place
    incidents_published_window_h: float = 12.0  # no time in the text: the window before publication
    incidents_slack_h: float = 2.0  # windows this far apart still overlap
    incidents_max_span_h: float = 24.0  # an incident spans at most this long (no chaining without end)
    # Claims one incidents.v1 message carries at most (claims_total gives the number): bounded messages.
    incidents_max_claims_published: int = 100

    def rules(self) -> Rules:
        return Rules(near_km=self.incidents_near_km,
                     published_window=timedelta(hours=self.incidents_published_window_h),
                     slack=timedelta(hours=self.incidents_slack_h),
                     max_span=timedelta(hours=self.incidents_max_span_h))
