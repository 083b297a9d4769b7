"""A report is resolved inside its own geography: the regions and large cities it names, and its
source's region. A candidate outside all of them needs evidence in the text; otherwise the resolver
abstains to the region the report is about, or, for a bare name, to no place at all."""
from __future__ import annotations

from shared.messages import PlaceMention


def pm(text, level=None, parent=None, start=0, cue="preposition"):
    return PlaceMention(text=text, span=(start, start + len(text)), normalized=text, level_hint=level, parent=parent,
                        cue=cue)


def test_a_common_village_name_resolves_inside_the_region_the_report_names(geocoder):
    # Alekseyevka is a village name in dozens of regions
    region, village = geocoder.resolve([pm("Lipetsk region", "oblast", cue="descriptor"),
                                        pm("Alekseyevka", "village", start=40, cue="descriptor")], language="en")
    assert region.admin1_code == "RU-LIP"
    assert village.admin1_code == "RU-LIP" and village.precision == "city"
    assert "inside Lipetsk Oblast" in village.reason


def test_a_far_off_namesake_is_refused_and_the_place_abstains_to_the_reports_region(geocoder):
    # a village that exists only in Khabarovsk Krai, named in a report about Kursk Oblast
    region, far = geocoder.resolve([pm("Kursk region", "oblast", cue="descriptor"),
                                    pm("Tsimmermanovka", start=30)], language="en")
    assert far.admin1_code == "RU-KRS" and far.precision == "admin1"
    assert far.confidence <= 0.3
    assert "outside every region the report names" in far.reason and "Khabarovsk" in far.reason


def test_a_bare_name_without_any_cue_that_fits_nowhere_is_no_place(geocoder):
    _region, far = geocoder.resolve([pm("Kursk region", "oblast", cue="descriptor"),
                                     pm("Tsimmermanovka", start=30, cue="name")], language="en")
    assert far.precision is None and "outside every region" in far.reason


def test_the_text_naming_the_parent_is_the_evidence_for_a_far_place(geocoder):
    region, village, parent = geocoder.resolve([
        pm("Kursk region", "oblast", cue="descriptor"),
        pm("Tsimmermanovka", "village", parent=2, start=30, cue="descriptor"),
        pm("Khabarovsk Krai", "oblast", start=60, cue="descriptor")], language="en")
    assert village.name == "Tsimmermanovka" and village.admin1_code == "RU-KHA"


def test_a_regional_capital_is_named_without_its_region(geocoder):
    _region, city = geocoder.resolve([pm("Kursk region", "oblast", cue="descriptor"), pm("Lviv", start=20)],
                                     language="en")
    assert city.name == "Lviv" and city.admin1_code == "UA-46"
    assert "named as 'Lviv'" in city.reason  # a large city anchors its own region


def test_the_only_town_of_its_name_may_lie_outside_when_the_text_marks_it_as_a_place(geocoder):
    _region, town = geocoder.resolve([pm("Rostov region", "oblast", cue="descriptor"),
                                      pm("Slavyansk-na-Kubani", start=20)], language="en")
    assert town.admin1_code == "RU-KDA" and "the only town of that name" in town.reason


def test_the_sources_region_anchors_a_report_that_names_none(geocoder):
    [village] = geocoder.resolve([pm("Alekseyevka", "village", cue="descriptor")], language="en", region_hint="RU-TUL")
    assert village.admin1_code == "RU-TUL" and "the region the source speaks for" in village.reason


def test_a_town_keeps_its_name_against_another_towns_alternate_name(geocoder):
    [town] = geocoder.resolve([pm("Novorossiysk", "city")], language="en")
    assert town.name == "Novorossiysk"


def test_a_namesake_in_another_region_than_the_named_parent_is_refused(geocoder):
    # Tsimmermanovka exists only in Khabarovsk Krai; the text puts it in a district of Kursk Oblast
    _region, village, district = geocoder.resolve([
        pm("Kursk region", "oblast", cue="descriptor"),
        pm("Tsimmermanovka", "village", parent=2, start=30, cue="descriptor"),
        pm("Rylsky District", "district", start=60, cue="descriptor")], language="en")
    assert village.admin1_code == "RU-KRS" and "Khabarovsk" not in (village.name or "")
    assert "which the text names as its place" in village.reason


def test_a_two_word_name_matched_exactly_is_not_read_as_a_name_and_its_parent(geocoder):
    # "селе Волчья Александровка": "Александровка" is not the place containing "Волчья"
    region, village = geocoder.resolve([
        pm("Белгородской области", "oblast", cue="descriptor"),
        PlaceMention(text="селе Волчья Александровка", span=(40, 65), normalized="Волчья Александровка",
                     level_hint="village", cue="descriptor")], language="ru")
    assert village.admin1_code == "RU-BEL" and village.name == "Volchya Aleksandrovka"


def test_a_bare_name_that_is_a_regions_own_is_the_region_not_a_village_in_another_named_region(geocoder):
    # the Bryansk region has a village called Krym; "в небе Крыма" beside it is still Crimea
    crimea_mention = PlaceMention(text="Крыма", span=(40, 45), normalized="Крым", cue="name")
    bryansk, crimea = geocoder.resolve([pm("Брянской областью", "oblast", cue="descriptor"), crimea_mention],
                                       language="ru")
    assert bryansk.admin1_code == "RU-BRY"
    assert crimea.precision == "admin1" and crimea.admin1_code in ("UA-43", "RU-CR"), crimea
