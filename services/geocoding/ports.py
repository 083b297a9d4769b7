"""What geocoding's handler needs: something that turns place mentions into locations, and (for the
optional street refinement) something that searches places by structured query."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from shared.messages import Location, PlaceMention


class Geocoder(Protocol):
    def resolve(self, places: list[PlaceMention], *, language: str, text: str = "") -> list[Location]:
        """One Location per mention, same order; unresolvable ones have precision None and a
        reason. Synchronous, CPU-bound, never raises for odd input."""


@runtime_checkable
class RegionalGeocoder(Geocoder, Protocol):
    """A geocoder that can read a report in the context of the region its source speaks for."""

    def resolve(self, places: list[PlaceMention], *, language: str, text: str = "",
                region_hint: str | None = None) -> list[Location]:
        """As Geocoder.resolve; `region_hint` (ISO 3166-2) counts as a region the report names."""

    def region(self, code: str) -> Location | None:
        """The region (ISO 3166-2, or ISO 3166-1 for a whole country) as a Location with no
        mention; None when unknown."""


class SearchFailed(Exception):
    """The search service could not answer (timeout, connection error, 5xx after retries, bad JSON)."""


class PlaceSearch(Protocol):
    def search(self, params: dict[str, str]) -> list[dict]:
        """Nominatim-style /search with these query parameters: the result list (possibly empty).
        Synchronous and bounded in time; raises SearchFailed when the service cannot answer."""
