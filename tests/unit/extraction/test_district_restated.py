"""A district named around its village is one incident, not two: "a drone crashed near the village of
X in the Y district ... it came down in the Z region's Y district" gives one event at X. "The Z region's
Y district" makes Z the region (an oblast) and Y's parent. Our own texts."""
from __future__ import annotations


def _extract(extractor, text: str):
    return extractor.extract(article_id="t", text=text, title=None, language="en", published_at=None)


def test_a_possessive_region_is_the_districts_parent(extractor):
    r = _extract(extractor, "A drone came down in the Oryol region's Livny district overnight.")
    places = {p.text: p for p in r.places}
    region, district = places["Oryol region's"], places["Livny district"]
    assert region.level_hint == "oblast" and region.normalized == "Oryol region"
    assert district.parent == r.places.index(region)


def test_the_region_possessive_alone_is_not_a_place(extractor):
    r = _extract(extractor, "A drone hit a barn near the village of Sosnovka, the region's governor said.")
    assert [p.text for p in r.places] == ["Sosnovka"]


def test_a_district_restated_by_its_village_is_one_event(extractor):
    text = ("A drone crashed near the village of Sosnovka in the Livny district, the governor said. "
            "The unmanned aerial vehicle came down in the Oryol region's Livny district at night.")
    r = _extract(extractor, text)
    assert [(e.type, r.places[e.place].text) for e in r.events] == [("impact", "Sosnovka")]


def test_a_district_event_without_a_place_inside_it_stays(extractor):
    text = ("A drone crashed near the village of Sosnovka in the Livny district. "
            "Another drone was shot down over the Kromy district.")
    r = _extract(extractor, text)
    assert sorted(r.places[e.place].text for e in r.events) == ["Kromy district", "Sosnovka"]
