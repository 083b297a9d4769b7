"""Pieces of the event filters that need no store: great-circle distance, the words of `q` and
their in-memory matching (the live stream's), LIKE patterns that take wildcards literally, and
parameter parsing."""
from __future__ import annotations

import pytest

from services.gateway.api.params import parse_bbox, parse_near, parse_region
from services.gateway.filters import Near, _contains_pattern, matches_words, near_extent, search_words
from services.gateway.regions import Regions
from shared.geo import haversine_km
from shared.http import ParameterError


def test_haversine_gives_known_distances():
    assert haversine_km(50.45, 30.52, 49.99, 36.23) == pytest.approx(410, abs=5)  # Kyiv - Kharkiv
    assert haversine_km(10.0, 179.9, 10.0, -179.9) == pytest.approx(21.9, abs=0.5)  # across the antimeridian
    assert haversine_km(48.0, 40.0, 48.0, 40.0) == 0.0


def test_q_words_are_runs_of_letters_and_digits_casefolded():
    assert search_words("Су-34, БПЛА  shot_down!") == ["су", "34", "бпла", "shot", "down"]
    assert search_words('"* OR NEAR(') == ["or", "near"]  # search syntax is only text
    assert search_words("%_-") == []


def test_every_q_word_must_start_a_word_of_some_text():
    texts = ["Сбиты три беспилотника", None, "Belgorod Oblast"]
    assert matches_words(["беспилот"], texts)
    assert matches_words(["belgorod", "сбиты"], texts)  # words from different texts
    assert not matches_words(["пилот"], texts)  # inside a word
    assert not matches_words(["belgorod", "kyiv"], texts)  # every word must match
    assert not matches_words([], texts)


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


def test_a_near_circle_box_widens_towards_the_poles_and_holds_every_longitude_around_one():
    dlat, dlon = near_extent(Near(0.0, 30.0, 111.19))
    assert dlat == pytest.approx(1.0, abs=1e-3) and dlon == pytest.approx(1.0, abs=1e-3)
    assert near_extent(Near(60.0, 30.0, 111.19))[1] == pytest.approx(2.0, abs=0.01)
    assert near_extent(Near(89.95, 30.0, 20))[1] == 360.0


def test_regions_are_the_maps_admin1_outlines_by_iso_code():
    regions = Regions()
    belgorod = parse_region(" ru-bel ", regions)
    assert belgorod.code == "RU-BEL" and belgorod.name.startswith("Belgorod")
    assert belgorod.covers(36.6, 50.6) and not belgorod.covers(36.23, 49.99)  # Belgorod city, not Kharkiv
    assert regions.get("UA-63").covers(36.23, 49.99)
    assert {c[:2] for c in regions.codes()} == {"RU", "UA", "BY", "MD"}
    assert parse_region(None, regions) is None


@pytest.mark.parametrize("raw, why", [("Belgorod", "not an ISO 3166-2 code"),
                                      ("XX-ZZ", "not a region with an outline")])
def test_unknown_regions_name_the_parameter(raw, why):
    with pytest.raises(ParameterError) as err:
        parse_region(raw, Regions())
    assert err.value.errors[0]["name"] == "region" and why in str(err.value.errors[0])
