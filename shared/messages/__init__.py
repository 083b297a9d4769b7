"""Every wire format of dronewatch, as frozen, versioned pydantic models.

A service never declares its own copy of a message: it imports it from here. The topic catalogue
(`shared.topics`) says which model travels on which topic.
"""
from shared.messages.acks import ArticleStored, StoredArticle
from shared.messages.articles import Article, ArticleReceived, SourceContext
from shared.messages.envelope import Message, derived_id
from shared.messages.events import (
    EventsGeocoded,
    Evidence,
    ExtractedEvent,
    ExtractionResult,
    GeocodedArticle,
    IncidentEvent,
    Location,
    PlaceMention,
    PlacesExtracted,
    TimeWindow,
)
from shared.messages.incidents import Claim, ClaimsRouted, Incident, IncidentUpdated, Reconciled, RegionClaims

__all__ = [
    "Article",
    "Claim",
    "ClaimsRouted",
    "Incident",
    "IncidentUpdated",
    "Reconciled",
    "RegionClaims",
    "ArticleReceived",
    "ArticleStored",
    "Evidence",
    "EventsGeocoded",
    "ExtractedEvent",
    "ExtractionResult",
    "GeocodedArticle",
    "IncidentEvent",
    "Location",
    "Message",
    "PlaceMention",
    "PlacesExtracted",
    "SourceContext",
    "StoredArticle",
    "TimeWindow",
    "derived_id",
]
