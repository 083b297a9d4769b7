"""Resolver fallbacks: a settlement the gazetteer does not know (or matches only loosely outside the
place the text puts it in) takes its named parent's coordinates; city districts with a point of their
own resolve at city_district precision; the index is rebuilt when our own tables change; the
evaluation reports geocoding per gold level."""
from __future__ import annotations

from collections import Counter, defaultdict

from services.extraction.evaluation import score_levels
from services.extraction.evaluation_report import format_levels, level_summary
from shared.messages import PlaceMention
from shared.places import indexfile as index_module


def pm(text, level=None, parent=None, start=0):
    return PlaceMention(text=text, span=(start, start + len(text)), normalized=text, level_hint=level, parent=parent)


def test_unknown_village_takes_its_districts_point(geocoder):
    places = [pm("Zzyxovka", "village", parent=1), pm("Millerovsky district", "district", start=20)]
    village, district = geocoder.resolve(places, language="en")
    assert district.precision == "admin2" and district.admin1_code == "RU-ROS"
    assert village.precision == "admin2" and (village.lat, village.lon) == (district.lat, district.lon)
    assert village.name == village.city == "Zzyxovka" and village.admin2 == district.name
    assert "using the enclosing" in village.reason and village.confidence <= 0.5


def test_unknown_place_without_parent_stays_unresolved(geocoder):
    [loc] = geocoder.resolve([pm("Qqwrtxovo", "village")], language="en")
    assert loc.precision is None and "no gazetteer entry" in loc.reason


def test_city_district_with_its_own_point(geocoder):
    places = [pm("Holosiivskyi district", "city_district", parent=1), pm("Kyiv", "city", start=30)]
    district, city = geocoder.resolve(places, language="en")
    assert district.precision == "city_district" and district.admin1_code == "UA-30"
    assert (district.lat, district.lon) != (city.lat, city.lon)
    assert abs(district.lat - city.lat) < 0.2 and abs(district.lon - city.lon) < 0.2


def test_index_records_a_digest_of_our_tables(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.tsv").write_text("x\n")
    monkeypatch.setattr(index_module, "DATA_DIR", data)
    before = index_module._data_digest()
    (data / "a.tsv").write_text("y\n")
    assert index_module._data_digest() != before


def test_evaluation_by_level():
    gold = [{"type": "impact", "weapon": "uav", "location": {"name": "Kursk Oblast", "admin1_code": "RU-KRS",
                                                              "level": "admin1"}},
            {"type": "impact", "weapon": "uav", "location": {"name": "Lgov", "admin1_code": "RU-KRS", "level": "city"}},
            {"type": "attack", "weapon": "uav", "location": {"name": "Rylsk", "admin1_code": "RU-KRS",
                                                              "level": "city"}}]
    pred = [{"type": "impact", "weapon": "uav", "location": {"name": "Kursk Oblast", "admin1_code": "RU-KRS",
                                                              "precision": "admin1"}},
            {"type": "impact", "weapon": "uav", "location": {"name": "Kursk", "admin1_code": "RU-KRS",
                                                              "precision": "city"}}]
    levels: dict[str, Counter] = defaultdict(Counter)
    score_levels(gold, pred, levels)
    rows = level_summary(levels)
    assert rows["admin1"] == {"events": 1, "events_admin1": 1.0, "events_fine": 1.0,
                              "places": 1, "places_admin1": 1.0, "places_fine": 1.0}
    assert rows["city"]["events"] == 2 and rows["city"]["events_admin1"] == 0.5 and rows["city"]["events_fine"] == 0.0
    assert rows["city"]["places"] == 2 and rows["city"]["places_fine"] == 0.0
    assert any(line.lstrip().startswith("city ") for line in format_levels(rows))
