"""Wire contract: examples validate against the models, the exported JSON Schemas match the
models, and the serde rejects what a reader cannot trust."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.kafka.errors import RejectMessage
from shared.kafka.serde import decode, encode
from shared.messages import ArticleReceived, EventsGeocoded, PlacesExtracted
from shared.schemas import schema_documents
from shared.topics import ALL_TOPICS, ARTICLES_RECEIVED, EVENTS_GEOCODED, by_name, topic_for_model
from tests.builders import make_article_received, make_events_geocoded

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "shared" / "examples"


def test_every_topic_model_has_an_example_that_validates():
    for topic in ALL_TOPICS:
        if topic.model is None:
            continue
        path = EXAMPLES / f"{topic.name}.json"
        assert path.exists(), f"missing example {path}"
        decode(topic, path.read_bytes())


def test_exported_schemas_match_the_models():
    for name, schema in schema_documents().items():
        on_disk = json.loads((ROOT / "deploy" / "schemas" / name).read_text(encoding="utf-8"))
        assert on_disk == json.loads(json.dumps(schema)), f"deploy/schemas/{name} is stale: run make schemas"


def test_round_trip_keeps_every_field():
    for msg, topic in ((make_article_received(), ARTICLES_RECEIVED), (make_events_geocoded(), EVENTS_GEOCODED)):
        assert decode(topic, encode(msg)) == msg


def test_readers_ignore_fields_added_by_newer_producers():
    data = json.loads(encode(make_article_received()))
    data["payload"]["new_optional_field"] = "x"
    assert decode(ARTICLES_RECEIVED, json.dumps(data).encode()).payload.id == "a-1"


@pytest.mark.parametrize("mutate, reason", [
    (lambda d: d.update(schema_version=99), "unknown schema_version 99"),
    (lambda d: d.update(event_type="article.geocoded"), "event_type"),
    (lambda d: d["payload"].pop("text"), "payload.text"),
])
def test_untrustworthy_messages_are_rejected_with_a_reason(mutate, reason):
    data = json.loads(encode(make_article_received()))
    mutate(data)
    with pytest.raises(RejectMessage, match=reason):
        decode(ARTICLES_RECEIVED, json.dumps(data).encode())


def test_each_model_travels_on_exactly_one_topic():
    assert topic_for_model(ArticleReceived).name == "articles.received.v1"
    assert topic_for_model(PlacesExtracted).name == "articles.extracted.v1"
    assert topic_for_model(EventsGeocoded) is by_name("events.geocoded.v1")
    names = [t.name for t in ALL_TOPICS]
    assert len(names) == len(set(names))
