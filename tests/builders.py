"""Builders of test messages with sensible defaults; override what a test cares about."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.messages import (
    Article,
    ArticleReceived,
    Claim,
    EventsGeocoded,
    Evidence,
    GeocodedArticle,
    Incident,
    IncidentEvent,
    IncidentUpdated,
    Location,
    Reconciled,
    derived_id,
)


def make_article(**overrides: Any) -> Article:
    fields: dict[str, Any] = {
        "id": "a-1", "text": "Air defence destroyed one UAV over Smolensk region.",
        "received_at": datetime(2026, 3, 14, 6, 0, tzinfo=UTC), "content_hash": "0" * 64, "source": "test",
    }
    fields.update(overrides)
    return Article(**fields)


def make_article_received(**overrides: Any) -> ArticleReceived:
    article = make_article(**overrides)
    return ArticleReceived.create(producer="test", correlation_id=article.id, payload=article)


def make_event(article_id: str = "a-1", **overrides: Any) -> IncidentEvent:
    location = overrides.pop("location", None) or Location(
        mention="Smolensk region", span=(35, 50), name="Smolensk Oblast", country_code="RU",
        admin1_code="RU-SMO", admin1="Smolensk Oblast", lat=54.78, lon=32.05, precision="admin1", confidence=0.9)
    fields: dict[str, Any] = {
        "id": derived_id(article_id, "interception", location.name), "article_id": article_id,
        "type": "interception", "weapon": "uav", "count": 1, "location": location,
        "evidence": [Evidence(article_id=article_id, field="type", span=(13, 22), text="destroyed")],
    }
    fields.update(overrides)
    return IncidentEvent(**fields)


def make_events_geocoded(article_id: str = "a-1", events: list[IncidentEvent] | None = None) -> EventsGeocoded:
    payload = GeocodedArticle(article_id=article_id, language="en",
                              events=events if events is not None else [make_event(article_id)])
    return EventsGeocoded.create(producer="test", correlation_id=article_id, payload=payload)


def make_claim(event: IncidentEvent, **overrides: Any) -> Claim:
    """The claim an event makes for an incident (what the incidents service would publish)."""
    fields: dict[str, Any] = {
        "event_id": event.id, "article_id": event.article_id, "claimed_by": event.claimed_by,
        "source": event.source, "published_at": event.published_at, "count": event.count, "killed": event.killed,
        "injured": event.injured, "damage": event.damage, "location": event.location, "evidence": event.evidence,
    }
    fields.update(overrides)
    return Claim(**fields)


def make_incident(id: str = "inc-1", claims: list[Claim] | None = None, **overrides: Any) -> Incident:  # noqa: A002
    """An incident state built from its claims the simple way: the first claim's place, type and
    count, the number of distinct sources, the first and last report times; override what matters."""
    claims = claims if claims is not None else [make_claim(make_event())]
    first = claims[0] if claims else None
    times = [c.published_at for c in claims if c.published_at is not None]
    fields: dict[str, Any] = {
        "id": id, "version": 1, "change": "created", "type": "interception", "weapon": "uav",
        "location": first.location if first else Location(),
        "count": Reconciled(value=first.count, event_id=first.event_id) if first else Reconciled(),
        "sources": len({c.source or c.article_id for c in claims}),
        "first_reported_at": min(times) if times else None, "last_reported_at": max(times) if times else None,
        "claims": claims,
    }
    fields.update(overrides)
    return Incident(**fields)


def make_incident_updated(incident: Incident) -> IncidentUpdated:
    return IncidentUpdated.create(producer="test", correlation_id=incident.id, payload=incident)
