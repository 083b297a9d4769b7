"""What geocoding's handler needs: something that turns place mentions into locations."""
from __future__ import annotations

from typing import Protocol

from shared.messages import Location, PlaceMention


class Geocoder(Protocol):
    def resolve(self, places: list[PlaceMention], *, language: str, text: str = "") -> list[Location]:
        """One Location per mention, same order; unresolvable ones have precision None and a
        reason. Synchronous, CPU-bound, never raises for odd input."""
