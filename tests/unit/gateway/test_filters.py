"""Pieces of the event filters that need no store: great-circle distance, text-search matching on
an event document, LIKE patterns that take wildcards literally, and parameter parsing."""
from __future__ import annotations

import json

import pytest

from services.gateway.api.params import parse_bbox, parse_near
from services.gateway.filters import _contains_pattern, _dw_search, haversine_km
from shared.http import ParameterError
from tests.builders import make_event


def test_haversine_gives_known_distances():
    assert haversine_km(50.45, 30.52, 49.99, 36.23) == pytest.approx(410, abs=5)  # Kyiv - Kharkiv
    assert haversine_km(10.0, 179.9, 10.0, -179.9) == pytest.approx(21.9, abs=0.5)  # across the antimeridian
    assert haversine_km(48.0, 40.0, 48.0, 40.0) == 0.0


def test_text_search_looks_at_evidence_and_place_names_only():
    body = json.dumps(make_event(claimed_by="Мэр Ростова").model_dump(mode="json"))
    assert _dw_search(body, "destroyed") == 1  # evidence text
    assert _dw_search(body, "smolensk oblast") == 1  # place name
    assert _dw_search(body, "interception") == 0  # the type is not free text
    assert _dw_search(body, "ростова") == 0  # nor is the claimant (that is claimed_by's filter)
    assert _dw_search("not json", "x") == 0


def test_like_patterns_take_wildcards_literally():
    assert _contains_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"


@pytest.mark.parametrize("raw", ["1,2,3", "a,b,c,d", "10,10,5,5", "-181,0,0,0", "inf,0,1,1", "0,0,1,nan"])
def test_bad_boxes_name_the_parameter(raw):
    with pytest.raises(ParameterError) as err:
        parse_bbox(raw)
    assert err.value.errors[0]["name"] == "bbox"


def test_near_and_bbox_parse_into_numbers():
    assert parse_bbox("30,45,40,52.5") == (30.0, 45.0, 40.0, 52.5)
    near = parse_near("48.1, 40.2, 25")
    assert (near.lat, near.lon, near.km) == (48.1, 40.2, 25.0)
    with pytest.raises(ParameterError):
        parse_near("48,40,0")
