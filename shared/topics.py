"""The topic catalogue: every topic dronewatch uses, with its model, key, partitions, retention,
producers and consumers. The runner, topic creation, the compose check, the schema export and the
tests read from here; topic names appear nowhere else."""
from __future__ import annotations

from dataclasses import dataclass, field

from shared.messages import (
    ArticleReceived,
    ArticleStored,
    ClaimsRouted,
    EventsGeocoded,
    IncidentUpdated,
    Message,
    PlacesExtracted,
)

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Topic:
    name: str
    model: type[Message] | None  # None for dead-letter topics: they carry the original bytes
    key: str  # what the Kafka key holds
    partitions: int
    retention_ms: int
    producers: tuple[str, ...]
    consumers: tuple[str, ...] = ()
    description: str = ""
    public: bool = False
    configs: dict[str, str] = field(default_factory=dict)

    @property
    def topic_configs(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), **self.configs}


ARTICLES_RECEIVED = Topic(
    name="articles.received.v1",
    model=ArticleReceived,
    key="article id",
    partitions=6,
    retention_ms=7 * DAY_MS,
    producers=("ingestion",),
    consumers=("extraction", "storage"),
    description="Reports as accepted by ingestion: text and metadata.",
)
ARTICLES_EXTRACTED = Topic(
    name="articles.extracted.v1",
    model=PlacesExtracted,
    key="article id",
    partitions=6,
    retention_ms=7 * DAY_MS,
    producers=("extraction",),
    consumers=("geocoding",),
    description="Incidents and place mentions found in one report, before geocoding.",
)
EVENTS_GEOCODED = Topic(
    name="events.geocoded.v1",
    model=EventsGeocoded,
    key="article id",
    partitions=6,
    retention_ms=30 * DAY_MS,
    producers=("geocoding",),
    consumers=("storage", "incidents"),
    description="Public: one report's complete, geolocated set of incident events. "
    "A later message for the same article replaces the earlier set.",
    public=True,
)
INCIDENTS = Topic(
    name="incidents.v1",
    model=IncidentUpdated,
    key="incident id",
    partitions=6,
    retention_ms=30 * DAY_MS,
    producers=("incidents",),
    consumers=("storage",),
    description="Public: one real incident joined across reports, as its whole new state with a version "
    "and what changed (created, updated, merged, retracted). A reader keeps the highest version.",
    public=True,
)
INCIDENT_CLAIMS = Topic(
    name="incidents.claims.v1",
    model=ClaimsRouted,
    key="region (ISO 3166-2 admin1 code)",
    partitions=6,
    retention_ms=365 * DAY_MS,
    producers=("incidents",),
    consumers=("incidents",),
    description="Internal to the incidents service: each report version's events re-published by region, so "
    "that one partition owns one region's incidents. Kept a year: the incidents are rebuilt from it.",
)
ARTICLES_STORED = Topic(
    name="articles.stored.v1",
    model=ArticleStored,
    key="article id",
    partitions=6,
    retention_ms=7 * DAY_MS,
    producers=("storage",),
    consumers=("ingestion",),
    description="Storage's receipt: this version of the report is stored (processed) or given up on "
    "(failed). Ingestion retires it from its outbox; until then it re-publishes what is overdue.",
)


def dlq(service: str, consumers: tuple[str, ...] = ("storage",)) -> Topic:
    return Topic(
        name=f"dlq.{service}",
        model=None,
        key="the original message's key",
        partitions=1,
        retention_ms=30 * DAY_MS,
        producers=(service,),
        consumers=consumers,
        description=f"Messages {service} could not decode or process: original bytes, with headers "
        "dlq.reason, dlq.source.topic, dlq.source.partition, dlq.source.offset.",
    )


DLQ_EXTRACTION = dlq("extraction")
DLQ_GEOCODING = dlq("geocoding")
DLQ_STORAGE = dlq("storage", consumers=())
DLQ_INGESTION = dlq("ingestion", consumers=())
DLQ_INCIDENTS = dlq("incidents", consumers=())

ALL_TOPICS: tuple[Topic, ...] = (
    ARTICLES_RECEIVED,
    ARTICLES_EXTRACTED,
    EVENTS_GEOCODED,
    INCIDENTS,
    INCIDENT_CLAIMS,
    ARTICLES_STORED,
    DLQ_EXTRACTION,
    DLQ_GEOCODING,
    DLQ_STORAGE,
    DLQ_INGESTION,
    DLQ_INCIDENTS,
)
DLQ_FOR_SERVICE = {"extraction": DLQ_EXTRACTION, "geocoding": DLQ_GEOCODING, "storage": DLQ_STORAGE,
                   "ingestion": DLQ_INGESTION, "incidents": DLQ_INCIDENTS}


def topic_for_model(model: type[Message]) -> Topic:
    for topic in ALL_TOPICS:
        if topic.model is model:
            return topic
    raise LookupError(f"no topic carries {model.__name__}")


def by_name(name: str) -> Topic:
    for topic in ALL_TOPICS:
        if topic.name == name:
            return topic
    raise LookupError(f"unknown topic {name!r}")
