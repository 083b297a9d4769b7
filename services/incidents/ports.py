"""What the incidents engine and handlers need from the state store.

The engine works on one region at a time through a `Workspace`: a view of that region's state in
which every write is visible to the next read, committed as a whole or not at all. The adapters
(`adapters/memory.py` for tests and evaluation, `adapters/sql.py` for the service) give it."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from shared.messages import GeocodedArticle, Incident, RegionClaims

T = TypeVar("T")


@dataclass(frozen=True)
class Applied:
    """The version of a report last applied in a region, and the incidents it touched."""

    version: int
    touched: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Route:
    """Where a report's last version was routed: the regions holding its events, and every region
    that version's messages went to (those plus the regions it left)."""

    version: int
    regions: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)


# Given the report's last route, the route to store (None: keep it) and the messages to send.
RoutePlan = Callable[[Route | None], tuple[Route | None, Sequence[RegionClaims]]]


class Workspace(Protocol):
    """One region's incident state inside one transaction."""

    region: str

    def applied(self, article_id: str) -> Applied | None: ...

    def set_applied(self, article_id: str, applied: Applied) -> None: ...

    def holding(self, article_id: str) -> list[Incident]:
        """The region's incidents holding a claim of this report."""

    def candidates(self, type_: str, weapon: str, start: datetime, end: datetime) -> list[Incident]:
        """The region's active incidents of this type and weapon whose claims' time window meets
        [start, end] (may return more; the engine checks again)."""

    def get(self, incident_id: str) -> Incident | None: ...

    def put(self, incident: Incident) -> None:
        """Store this state of the incident (and index its claims)."""


class IncidentState(Protocol):
    """The incidents service's own state store (not the query store: storage writes that)."""

    async def in_region(self, region: str, work: Callable[[Workspace], T]) -> T:
        """Run `work` on the region's workspace in one transaction, serialised with any other
        writer of the region, and commit. Raises TransientError when the store is unreachable."""

    async def in_regions(self, work: Sequence[tuple[str, Callable[[Workspace], T]]],
                         ahead: Sequence[RegionClaims] = ()) -> list[T]:
        """`in_region` for each (region, work) in order, all in one transaction (a consumer batch).
        `ahead`: the reports the work applies, so that a store may read what they need in one go."""

    async def route(self, article: GeocodedArticle, plan: RoutePlan) -> Sequence[RegionClaims]:
        """Read the report's last route, let `plan` decide, store the route it returns (None: keep),
        in one transaction; the messages `plan` returned."""

    async def route_many(self, work: Sequence[tuple[GeocodedArticle, RoutePlan]]) -> list[Sequence[RegionClaims]]:
        """`route` for each (article, plan) in order, all in one transaction (a consumer batch)."""
