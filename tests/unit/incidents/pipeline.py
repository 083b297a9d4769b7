"""The incidents service's two handlers chained in memory, as the runner would chain them through
the internal topic: what a test feeds is a report; what it reads is the latest published state
of each incident, and every message published."""
from __future__ import annotations

from services.incidents.adapters.memory import MemoryState
from services.incidents.handlers import handle_claims_routed, handle_events_geocoded
from services.incidents.rules import Rules
from shared.messages import EventsGeocoded, GeocodedArticle, Incident, IncidentUpdated


class Pipeline:
    def __init__(self, rules: Rules | None = None) -> None:
        self.state = MemoryState(rules)
        self.rules = rules or Rules()
        self.published: list[IncidentUpdated] = []
        self.latest: dict[str, Incident] = {}

    async def feed(self, article: GeocodedArticle) -> list[IncidentUpdated]:
        msg = EventsGeocoded.create(producer="test", correlation_id=article.article_id, payload=article)
        out: list[IncidentUpdated] = []
        for routed in await handle_events_geocoded(msg, state=self.state):
            out.extend(await handle_claims_routed(routed, state=self.state, rules=self.rules))
        for m in out:
            current = self.latest.get(m.payload.id)
            if current is None or current.version <= m.payload.version:
                self.latest[m.payload.id] = m.payload
        self.published.extend(out)
        return out

    def active(self) -> list[Incident]:
        return sorted((i for i in self.latest.values() if i.status == "active"), key=lambda i: i.id)
