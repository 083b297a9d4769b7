"""What geocoding's handler needs: something that turns place mentions into locations, and (for the
optional street refinement) something that searches places by structured query."""
from __future__ import annotations

from typing import Protocol

from shared.messages import Location, PlaceMention


class Geocoder(Protocol):
    def resolve(self, places: list[PlaceMention], *, language: str, text: str = "") -> list[Location]:
        """One Location per mention, same order; unresolvable ones have precision None and a
        reason. Synchronous, CPU-bound, never raises for odd input."""


class SearchFailed(Exception):
    """The search service could not answer (timeout, connection error, 5xx after retries, bad JSON)."""


class PlaceSearch(Protocol):
    def search(self, params: dict[str, str]) -> list[dict]:
        """Nominatim-style /search with these query parameters: the result list (possibly empty).
        Synchronous and bounded in time; raises SearchFailed when the service cannot answer."""
