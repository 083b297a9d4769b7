"""Bytes on the wire <-> typed messages. JSON (UTF-8) for every topic, so that subscribers need
nothing but a JSON parser; the JSON Schemas in deploy/schemas describe it."""
from __future__ import annotations

import json

from pydantic import ValidationError

from shared.kafka.errors import RejectMessage
from shared.messages import Message
from shared.topics import Topic


def encode(message: Message) -> bytes:
    """UTF-8 JSON straight from the model's serializer (no intermediate str)."""
    return type(message).__pydantic_serializer__.to_json(message)


def headers_for(message: Message) -> list[tuple[str, bytes]]:
    return [
        ("event_type", message.event_type.encode()),
        ("schema_version", str(message.schema_version).encode()),
        ("producer", message.producer.encode()),
    ]


def decode(topic: Topic, value: bytes | None) -> Message:
    """Parse and validate one record of `topic`. Raises RejectMessage saying what is wrong.

    A record is first validated straight from its bytes, without building dicts on the way (a
    third of the cost); what that does not accept as a known version of the topic's event goes
    through the step-by-step checks below, which say why it is rejected. (The direct path reads a
    schema_version written as "2" or 2.0 as 2, where the step-by-step checks would reject it.)"""
    model = topic.model
    if model is None:
        raise RejectMessage(f"topic {topic.name} carries raw bytes, not a message model")
    if value is None:
        raise RejectMessage("empty record value (tombstone) where a message was expected")
    try:
        message = model.model_validate_json(value)
    except ValidationError:
        pass
    else:
        if message.event_type == model.EVENT_TYPE and 1 <= message.schema_version <= model.SCHEMA_VERSION:
            return message
    return _decode_checked(model, value)


def _decode_checked(model: type[Message], value: bytes) -> Message:
    """Step by step: JSON, an object, the event type, a known version, then the model; raises
    RejectMessage with the first thing wrong."""
    try:
        data = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RejectMessage(f"not valid UTF-8 JSON: {err}") from None
    if not isinstance(data, dict):
        raise RejectMessage(f"expected a JSON object, got {type(data).__name__}")
    if data.get("event_type") != model.EVENT_TYPE:
        raise RejectMessage(f"event_type {data.get('event_type')!r} is not {model.EVENT_TYPE!r}")
    version = data.get("schema_version")
    if not isinstance(version, int) or not 1 <= version <= model.SCHEMA_VERSION:
        raise RejectMessage(f"unknown schema_version {version!r} (this reader knows 1..{model.SCHEMA_VERSION})")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise RejectMessage(f"invalid {model.__name__}: {_brief(err)}") from None


def _brief(err: ValidationError) -> str:
    parts = []
    for item in err.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
