"""Builders of test messages with sensible defaults; override what a test cares about."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.messages import (
    Article,
    ArticleReceived,
    EventsGeocoded,
    Evidence,
    GeocodedArticle,
    IncidentEvent,
    Location,
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
