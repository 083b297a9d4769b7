"""The wire format as other programs see it: what we encode is the model's JSON, and JSON written by
any other producer (other spacing, key order, optional fields left out) reads the same as ours."""
from __future__ import annotations

import json

import pytest

from shared.kafka.errors import RejectMessage
from shared.kafka.serde import decode, encode
from shared.topics import ARTICLES_RECEIVED, EVENTS_GEOCODED
from tests.builders import make_article_received, make_events_geocoded


@pytest.mark.parametrize("message, topic", [(make_article_received(), ARTICLES_RECEIVED),
                                            (make_events_geocoded(), EVENTS_GEOCODED)])
def test_encoded_bytes_are_the_models_utf8_json(message, topic):
    raw = encode(message)
    assert raw == message.model_dump_json().encode("utf-8")
    assert json.loads(raw)["event_type"] == topic.model.EVENT_TYPE


def test_json_from_another_producer_reads_like_ours():
    ours = make_article_received(text="Дрони над Харковом")
    data = json.loads(encode(ours))
    for optional in ("title", "url", "channel", "near_duplicate_of"):
        data["payload"].pop(optional, None)
    theirs = json.dumps(dict(reversed(list(data.items()))), indent=2, ensure_ascii=True).encode()
    assert decode(ARTICLES_RECEIVED, theirs) == ours


@pytest.mark.parametrize("raw, reason", [
    (b"\xff\xfe not utf-8", "not valid UTF-8 JSON"),
    (b"{\"event_type\": ", "not valid UTF-8 JSON"),
    (b"[1, 2]", "expected a JSON object"),
    (None, "tombstone"),
])
def test_undecodable_records_are_rejected_with_a_reason(raw, reason):
    with pytest.raises(RejectMessage, match=reason):
        decode(ARTICLES_RECEIVED, raw)
