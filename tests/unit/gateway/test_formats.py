"""Output formats and content negotiation of the gateway, on plain event documents."""
from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import pytest

from services.gateway.api.routes.events import wants_geojson
from services.gateway.formats import CSV_COLUMNS, csv_chunks, feature_collection_json, page_json
from tests.builders import make_event


def test_features_put_longitude_first_and_carry_the_event_unchanged():
    event = make_event().model_dump(mode="json")
    row = SimpleNamespace(id=event["id"], lat=54.78, lon=32.05, body=json.dumps(event))
    nowhere = SimpleNamespace(id="e-2", lat=None, lon=None, body=json.dumps({**event, "id": "e-2"}))
    doc = json.loads(feature_collection_json([row, nowhere], "next"))
    assert doc["type"] == "FeatureCollection" and doc["next_cursor"] == "next"
    first, second = doc["features"]
    assert first["geometry"] == {"type": "Point", "coordinates": [32.05, 54.78]}
    assert first["properties"] == event and first["id"] == event["id"] and first["type"] == "Feature"
    assert second["geometry"] is None
    assert json.loads(page_json([row.body], None)) == {"items": [event], "next_cursor": None}


def test_csv_streams_in_chunks_and_keeps_every_row_readable():
    events = [make_event(id=f"e-{i}", claimed_by=f'Mayor "{i}", city\nhall').model_dump(mode="json")
              for i in range(1200)]
    chunks = list(csv_chunks(iter(events), rows_per_chunk=500))
    assert len(chunks) == 3
    rows = list(csv.reader(io.StringIO("".join(chunks))))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 1201
    assert rows[1][CSV_COLUMNS.index("claimed_by")] == 'Mayor "0", city\nhall'
    assert rows[1][CSV_COLUMNS.index("evidence")] == "type: destroyed"


@pytest.mark.parametrize("accept, geo", [
    ("application/geo+json", True), ("application/json", False), (None, False), ("*/*", False),
    ("application/json, application/geo+json", False), ("application/geo+json, application/json", True),
    ("application/json;q=0.5, application/geo+json", True), ("application/geo+json;q=0", False),
    ("application/geo+json;q=bad", False),
])
def test_geojson_is_chosen_only_when_accept_prefers_it(accept, geo):
    assert wants_geojson(accept) is geo
