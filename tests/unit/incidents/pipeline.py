"""The incidents service's two handlers chained in memory, as the runner would chain them through
the internal topic: what a test feeds is a report; what it reads is the latest published state
of each incident, and every message published."""
from __future__ import annotations

from datetime import datetime

from services.incidents.adapters.memory import MemoryState
from services.incidents.handlers import handle_claims_routed, handle_events_geocoded
from services.incidents.ports import IncidentState
from services.incidents.rules import Rules
from shared.messages import EventsGeocoded, GeocodedArticle, Incident, IncidentUpdated
from tests.unit.incidents.reports import T0

SEEN = T0


def as_message(article: GeocodedArticle, seen_at: datetime | None = None) -> EventsGeocoded:
    """The report on events.geocoded.v1, seen by the pipeline when it was published (a fixed time
    for a report without one), so that feeding it twice gives the same message."""
    msg = EventsGeocoded.create(producer="test", correlation_id=article.article_id, payload=article)
    return msg.model_copy(update={"occurred_at": seen_at or article.published_at or SEEN})


class Pipeline:
    def __init__(self, state: IncidentState | None = None, rules: Rules | None = None) -> None:
        self.rules = rules or Rules()
        self.state = state or MemoryState(self.rules)
        self.published: list[IncidentUpdated] = []
        self.latest: dict[str, Incident] = {}

    async def feed(self, article: GeocodedArticle, seen_at: datetime | None = None) -> list[IncidentUpdated]:
        msg = as_message(article, seen_at)
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
