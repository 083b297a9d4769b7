"""The envelope every message carries, named after CloudEvents where a name exists.

`event_id` identifies one message; `correlation_id` is the article id, carried end to end and used
as the Kafka key so that one article's messages stay in order on one partition. Derived messages
get deterministic ids (`derived_id`), so a redelivered input produces the very same output ids and
storage can recognise the repeat.
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

NAMESPACE = uuid.UUID("5f1c6a52-2f55-4e39-9a53-6d3a4f0c9b1e")


def derived_id(*parts: object) -> str:
    """A stable id (uuid5) for something derived from `parts`: same parts, same id, always."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(str(p) for p in parts)))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Frozen(BaseModel):
    """Base of every wire model: immutable, and readers ignore fields they do not know, so
    producers may add optional fields without breaking older consumers."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Message(Frozen):
    """Envelope fields shared by every topic's model. Subclasses set EVENT_TYPE and
    SCHEMA_VERSION and declare a typed `payload`."""

    EVENT_TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]

    event_id: str
    event_type: str
    schema_version: int
    occurred_at: datetime = Field(default_factory=utcnow)
    producer: str
    correlation_id: str
    payload: Any

    @classmethod
    def create(cls, *, producer: str, correlation_id: str, payload: Any, event_id: str | None = None) -> Self:
        return cls(
            event_id=event_id or str(uuid.uuid4()),
            event_type=cls.EVENT_TYPE,
            schema_version=cls.SCHEMA_VERSION,
            producer=producer,
            correlation_id=correlation_id,
            payload=payload,
        )

    @classmethod
    def derived_from(cls, source: Message, *, producer: str, payload: Any) -> Self:
        """A message caused by `source`, with an id that is the same on every redelivery."""
        return cls.create(
            producer=producer,
            correlation_id=source.correlation_id,
            payload=payload,
            event_id=derived_id(source.event_id, producer, cls.EVENT_TYPE),
        )

    @property
    def key(self) -> str:
        return self.correlation_id
