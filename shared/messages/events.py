"""What extraction finds (topic `articles.extracted.v1`) and what geocoding makes of it (topic
`events.geocoded.v1`, the public topic subscribers read).

Both messages are per article and carry the article's complete set of events: a redelivered or
re-processed article replaces its previous set instead of adding to it.
"""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.messages.articles import Language, SourceContext
from shared.messages.envelope import Frozen, Message

EventType = Literal["interception", "attack", "impact", "debris_fall"]
Weapon = Literal["uav", "missile", "glide_bomb", "artillery", "unknown"]
Precision = Literal["country", "admin1", "admin2", "city", "city_district", "street", "sea"]
# What the text itself says about a place's level, before any gazetteer look-up.
LevelHint = Literal[
    "country", "oblast", "district", "raion", "hromada", "city", "village", "city_district", "street", "sea"
]
Span = tuple[int, int]
# What in the text says a mention names a place: a descriptor word ("district", "области", "village
# of"), a locative preposition ("over", "над", "у"), or nothing but the name itself.
PlaceCue = Literal["descriptor", "preposition", "name"]


class Evidence(Frozen):
    """The exact text behind one field of an event: `text == article_text[span[0]:span[1]]`."""

    article_id: str
    field: str  # type | weapon | count | killed | injured | damage | claimed_by | occurred_at | location
    span: Span
    text: str


class TimeWindow(Frozen):
    """When the incident happened, as the report gives it, resolved against published_at."""

    start: datetime | None = None
    end: datetime | None = None
    precision: Literal["minute", "hour", "day", "night", "window", "unknown"] = "unknown"
    text: str | None = None
    span: Span | None = None


class PlaceMention(Frozen):
    """One mention of a place in the text, before geocoding.

    `normalized` is the text's form turned to a look-up form (nominative, descriptor stripped);
    `parent` is the index (in PlacesExtracted.places) of the place the text says contains this one
    ("the Chertkovsky district of Rostov region"), if any.
    """

    text: str
    span: Span
    normalized: str
    level_hint: LevelHint | None = None
    parent: int | None = None
    street: str | None = None  # for street mentions: the street's name
    house_numbers: list[str] = Field(default_factory=list)
    cue: PlaceCue | None = None  # what says it is a place (None: not stated, as before schema 3)


class ExtractedEvent(Frozen):
    """One incident claim at one place: one event per (type, weapon, place)."""

    type: EventType
    weapon: Weapon = "unknown"
    count: int | None = None
    killed: int | None = None
    injured: int | None = None
    damage: bool | None = None
    claimed_by: str | None = None
    occurred: TimeWindow | None = None
    place: int | None = None  # index into PlacesExtracted.places; None when the text names none
    evidence: list[Evidence] = Field(default_factory=list)


class ExtractionResult(Frozen):
    article_id: str
    language: Language
    published_at: datetime | None = None
    source: str | None = None
    places: list[PlaceMention] = Field(default_factory=list)
    events: list[ExtractedEvent] = Field(default_factory=list)
    version: int = 1  # the report's version (Article.version)
    # For a version after the first: what the replaced text gave, so that geocoding can name the
    # events this version retracts.
    previous: ExtractionResult | None = None
    # The report's source context (Article.source_context), for geocoding's regional context.
    source_context: SourceContext | None = None
    withdrawn: bool = False  # Article.withdrawn: no events; `previous` names the ones to retract


class PlacesExtracted(Message):
    EVENT_TYPE: ClassVar[str] = "article.extracted"
    SCHEMA_VERSION: ClassVar[int] = 3  # 2: version, previous; 3: PlaceMention.cue, source_context, withdrawn
    payload: ExtractionResult


class Location(Frozen):
    """A resolved (or unresolvable) place. `precision` is the level actually resolved; null with a
    `reason` when nothing in the gazetteer fits."""

    mention: str | None = None
    span: Span | None = None
    name: str | None = None
    country_code: str | None = None
    admin1_code: str | None = None  # ISO 3166-2, e.g. RU-ROS
    admin1: str | None = None
    admin2: str | None = None
    city: str | None = None
    street: str | None = None
    house_numbers: list[str] = Field(default_factory=list)
    lat: float | None = None
    lon: float | None = None
    precision: Precision | None = None
    confidence: float = 0.0
    reason: str | None = None  # why this candidate won, or why nothing did
    geonames_id: int | None = None


class IncidentEvent(Frozen):
    """The public event (HTTP contract v1 and topic `events.geocoded.v1`). One report's claim."""

    id: str
    article_id: str
    type: EventType
    weapon: Weapon
    count: int | None = None
    killed: int | None = None
    injured: int | None = None
    damage: bool | None = None
    claimed_by: str | None = None
    occurred_at: TimeWindow | None = None
    location: Location
    evidence: list[Evidence] = Field(default_factory=list)
    source: str | None = None
    published_at: datetime | None = None


class GeocodedArticle(Frozen):
    article_id: str
    language: Language
    published_at: datetime | None = None
    source: str | None = None
    events: list[IncidentEvent] = Field(default_factory=list)
    # The report's version: a reader keeps the highest it has seen and ignores older ones.
    version: int = 1
    # Ids of the previous version's events that this version no longer has (delete them);
    # `events` is still the complete set.
    retracted: list[str] = Field(default_factory=list)
    # The source withdrew the whole report (a deleted post): `events` is empty, `retracted` names
    # every event it had, and the store marks the report retracted.
    withdrawn: bool = False
    source_context: SourceContext | None = None  # who spoke, for where (Article.source_context)


class EventsGeocoded(Message):
    EVENT_TYPE: ClassVar[str] = "article.geocoded"
    SCHEMA_VERSION: ClassVar[int] = 3  # 2: version, retracted; 3: withdrawn, source_context
    payload: GeocodedArticle
