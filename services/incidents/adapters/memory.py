"""The incidents state in memory: for unit tests and the evaluation's `group_events`. Every region
workspace reads and writes the same dictionaries; nothing is shared between instances."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from services.incidents.engine import incident_window
from services.incidents.ports import Applied, Route, RoutePlan
from services.incidents.rules import Rules
from shared.messages import GeocodedArticle, Incident, RegionClaims

T = TypeVar("T")


class MemoryWorkspace:
    def __init__(self, state: MemoryState, region: str) -> None:
        self.state, self.region = state, region

    def applied(self, article_id: str) -> Applied | None:
        return self.state.applied.get((self.region, article_id))

    def set_applied(self, article_id: str, applied: Applied) -> None:
        self.state.applied[(self.region, article_id)] = applied

    def holding(self, article_id: str) -> list[Incident]:
        ids = self.state.by_article.get((self.region, article_id), set())
        return [self.state.incidents[i] for i in sorted(ids)]

    def candidates(self, type_: str, weapon: str, start: datetime, end: datetime) -> list[Incident]:
        out = []
        for i in self.state.incidents.values():
            if i.status != "active" or self.state.region_of[i.id] != self.region:
                continue
            if (i.type, i.weapon) != (type_, weapon):
                continue
            window = incident_window(i, self.state.rules)
            if window is not None and window[0] <= end and window[1] >= start:
                out.append(i)
        return out

    def get(self, incident_id: str) -> Incident | None:
        return self.state.incidents.get(incident_id)

    def put(self, incident: Incident) -> None:
        old = self.state.incidents.get(incident.id)
        for c in old.claims if old else ():
            self.state.by_article.get((self.region, c.article_id), set()).discard(incident.id)
        for c in incident.claims:
            self.state.by_article.setdefault((self.region, c.article_id), set()).add(incident.id)
        self.state.incidents[incident.id] = incident
        self.state.region_of[incident.id] = self.region


class MemoryState:
    """IncidentState in memory (no transactions to roll back: a failing `work` leaves what it wrote)."""

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or Rules()
        self.incidents: dict[str, Incident] = {}
        self.region_of: dict[str, str] = {}
        self.by_article: dict[tuple[str, str], set[str]] = {}
        self.applied: dict[tuple[str, str], Applied] = {}
        self.routes: dict[str, Route] = {}

    async def in_region(self, region: str, work: Callable[[MemoryWorkspace], T]) -> T:
        return self.in_region_sync(region, work)

    async def in_regions(self, work: Sequence[tuple[str, Callable[[MemoryWorkspace], T]]],
                         ahead: Sequence[RegionClaims] = ()) -> list[T]:
        return [self.in_region_sync(region, fn) for region, fn in work]

    async def route_many(self, work: Sequence[tuple[GeocodedArticle, RoutePlan]]) -> list[Sequence[RegionClaims]]:
        return [self.route_sync(article, plan) for article, plan in work]

    def in_region_sync(self, region: str, work: Callable[[MemoryWorkspace], T]) -> T:
        return work(MemoryWorkspace(self, region))

    async def route(self, article: GeocodedArticle, plan: RoutePlan) -> Sequence[RegionClaims]:
        return self.route_sync(article, plan)

    def route_sync(self, article: GeocodedArticle, plan: RoutePlan) -> Sequence[RegionClaims]:
        route, messages = plan(self.routes.get(article.article_id))
        if route is not None:
            self.routes[article.article_id] = route
        return messages
