"""Behaviour beyond the golden table: place structure (lists, parents, streets and house
numbers), claimants, time windows, evidence spans, language detection and determinism."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.extraction.nlp import PlaceLexicon, detect_language

SEEDLIKE = (
    "Governor Petr Ivanov said air defence systems neutralized one UAV over the Oryol Region. "
    "No casualties or damage were reported.\n\n"
    "According to Russian military reports, air defense forces destroyed the drones in several districts, "
    "including Alpha, Beta, and Gamma.\n\n"
    "In the Tractor Factory District of Volga, the wreckage of a UAV fell onto Lodygina Street, "
    "striking houses numbered 12 and 13. No one was injured, but the buildings were damaged."
)


def _run(extractor, text, lang="en", published=None):
    return extractor.extract(article_id="t", text=text, title=None, language=lang, published_at=published)


def test_seedlike_structure(extractor):
    r = _run(extractor, SEEDLIKE)
    by_norm = {p.normalized: (i, p) for i, p in enumerate(r.places)}
    first = r.events[0]
    assert (first.type, first.count, first.killed, first.injured, first.damage) == ("interception", 1, 0, 0, False)
    assert first.claimed_by == "Governor Petr Ivanov"
    districts = [e for e in r.events if r.places[e.place].normalized in ("Alpha", "Beta", "Gamma")]
    assert len(districts) == 3
    assert all(r.places[e.place].level_hint == "district" and e.claimed_by == "Russian military" for e in districts)
    street_i, street = by_norm["Lodygina Street"]
    assert street.level_hint == "street" and street.street == "Lodygina" and street.house_numbers == ["12", "13"]
    chain = []
    k = street.parent
    while k is not None:
        chain.append(r.places[k].normalized)
        k = r.places[k].parent
    assert chain == ["Tractor Factory District", "Volga"]
    debris = [e for e in r.events if e.type == "debris_fall"]
    assert [(e.place, e.count, e.killed, e.injured, e.damage) for e in debris] == [(street_i, 1, 0, 0, True)]


def test_evidence_spans_and_fields(extractor):
    r = _run(extractor, SEEDLIKE)
    for e in r.events:
        fields = {ev.field for ev in e.evidence}
        assert {"type", "location"} <= fields
        for ev in e.evidence:
            assert SEEDLIKE[ev.span[0]:ev.span[1]] == ev.text
    assert {ev.field for ev in r.events[0].evidence} >= {"weapon", "count", "killed", "injured", "damage", "claimed_by"}


def test_ru_parent_and_nominative(extractor):
    text = "Над Чертковским и Миллеровским районами Ростовской области сбиты БПЛА."
    r = _run(extractor, text, "ru")
    norms = [p.normalized for p in r.places]
    assert norms == ["Чертковский район", "Миллеровский район", "Ростовская область"]
    assert [p.parent for p in r.places] == [2, 2, None]
    assert [p.level_hint for p in r.places] == ["district", "district", "oblast"]


def test_ru_street_house_numbers(extractor):
    r = _run(extractor, "В Курске обломки беспилотника упали на ул. Садовая, д. 7 и 9.", "ru")
    street = next(p for p in r.places if p.level_hint == "street")
    assert street.text == "ул. Садовая" and street.house_numbers == ["7", "9"]
    assert r.places[street.parent].normalized == "Курск"


def test_claimant_russian_name_is_transliterated(extractor):
    r = _run(extractor, "Губернатор Вячеслав Гладков сообщил, что над Белгородом сбит беспилотник.", "ru")
    assert r.events and r.events[0].claimed_by == "Governor Vyacheslav Gladkov"


def test_ministry_claimant(extractor):
    r = _run(extractor, "Минобороны России сообщило, что над Курской областью уничтожены 5 БПЛА.", "ru")
    assert [(e.count, e.claimed_by) for e in r.events] == [(5, "Russian Ministry of Defense")]


def test_time_window_night_of(extractor):
    pub = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)
    r = _run(extractor, "В ночь на 14 марта над Брянской областью сбиты 3 БПЛА.", "ru", pub)
    occ = r.events[0].occurred
    assert occ is not None and occ.precision == "night" and occ.text == "В ночь на 14 марта"
    assert occ.start == datetime(2025, 3, 13, 18, 0, tzinfo=UTC) and occ.end == datetime(2025, 3, 14, 7, 0, tzinfo=UTC)


def test_time_window_clock_msk(extractor):
    pub = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)
    r = _run(extractor, "С 20:00 до 07:00 мск над Курской областью уничтожены 7 беспилотников.", "ru", pub)
    occ = r.events[0].occurred
    assert occ.precision == "window" and occ.start.hour == 20 and occ.start.day == 13 and occ.end.day == 14


def test_no_time_cue_gives_none(extractor):
    r = _run(extractor, "Over Kursk a drone was shot down.", "en", datetime(2025, 3, 14, tzinfo=UTC))
    assert r.events and r.events[0].occurred is None


def test_detect_language():
    assert detect_language("Над Києвом збито дрони") == "uk"
    assert detect_language("Над Курском сбит беспилотник") == "ru"
    assert detect_language("A drone was shot down over Kursk") == "en"


def test_language_detected_when_missing(extractor):
    r = extractor.extract(article_id="x", text="Над Києвом збито два дрони.", title=None, language=None,
                          published_at=None)
    assert r.language == "uk" and len(r.events) == 1


def test_deterministic(extractor):
    a = _run(extractor, SEEDLIKE)
    b = _run(extractor, SEEDLIKE)
    assert a.model_dump() == b.model_dump()


def test_empty_text_gives_no_events(extractor):
    r = extractor.extract(article_id="e", text="", title="Drone shot down over Kursk", language="en", published_at=None)
    assert r.events == [] and r.places == []


class _Lexicon:
    def level_of(self, surface: str, language: str):
        known = {"Shostka", "Konotop", "Tambov", "Voronezh", "Kaluga", "Enemy", "Moscow", "Больше", "Цієї", "Сім",
                 "Украинский", "Мер", "Юрий", "Курск", "Курська"}
        return "city" if surface in known else None

    def population(self, surface: str, language: str) -> int:
        towns = {"Shostka", "Konotop", "Tambov", "Voronezh", "Kaluga", "Moscow", "Курск", "Курська"}
        return 50_000 if surface in towns else 300 if self.level_of(surface, language) else 0


def test_place_lexicon_finds_bare_names(resources):
    from services.extraction.nlp import Extractor

    lex = _Lexicon()
    assert isinstance(lex, PlaceLexicon)
    text = "Shostka and Konotop were hit by Shahed drones overnight."
    with_lex = Extractor(resources, places=lex).extract(article_id="l", text=text, title=None, language="en",
                                                        published_at=None)
    assert sorted(r.normalized for r in with_lex.places) == ["Konotop", "Shostka"]
    assert {with_lex.places[e.place].normalized for e in with_lex.events} == {"Shostka", "Konotop"}
    without = Extractor(resources).extract(article_id="l", text=text, title=None, language="en", published_at=None)
    assert without.events == []


@pytest.mark.parametrize("text, place", [
    ("Dear Tambov residents, air defence has destroyed one drone over the Tambov region. Nobody was hurt.",
     "Tambov region"),
    ("Tambov residents were told that one drone was destroyed over the Tambov region.", "Tambov region"),
])
def test_a_name_before_an_inhabitants_noun_is_not_an_incident_place(resources, text, place):
    from services.extraction.nlp import Extractor

    result = Extractor(resources, places=_Lexicon()).extract(article_id="d", text=text, title=None, language="en",
                                                             published_at=None)
    assert [result.places[e.place].text for e in result.events] == [place]
    assert [(e.type, e.count) for e in result.events] == [("interception", 1)]


def test_a_district_of_a_city_contains_the_street_and_the_incident_is_placed_at_the_street(resources):
    from services.extraction.nlp import Extractor

    text = "In the Soviet District of Voronezh, debris of a drone fell on Koltsovskaya Street, damaging house 5."
    result = Extractor(resources, places=_Lexicon()).extract(article_id="s", text=text, title=None,
                                                             language="en", published_at=None)
    by_text = {p.text: p for p in result.places}
    district, street = by_text["Soviet District"], by_text["Koltsovskaya Street"]
    assert district.level_hint == "city_district"
    assert result.places[district.parent].text == "Voronezh"
    assert result.places[street.parent] is district and street.house_numbers == ["5"]
    assert [(e.type, result.places[e.place].text) for e in result.events] == [("debris_fall", "Koltsovskaya Street")]


def test_a_place_right_before_an_officials_title_is_the_jurisdiction_not_the_scene(resources):
    from services.extraction.nlp import Extractor

    text = ("Kaluga region governor Vladislav Shapsha wrote that fragments of a downed drone fell on Mira Street "
            "in Kaluga, damaging two cars. One person was injured.")
    result = Extractor(resources, places=_Lexicon()).extract(article_id="g", text=text, title=None,
                                                             language="en", published_at=None)
    debris = [e for e in result.events if e.type == "debris_fall"]
    assert [result.places[e.place].text for e in debris] == ["Mira Street"]
    assert (debris[0].injured, debris[0].damage) == (1, True)
    assert "Kaluga region" not in {result.places[e.place].text for e in result.events}


@pytest.mark.parametrize("lang, text, places", [
    # sentence-initial ordinary words, titles and first names that a gazetteer also knows as villages
    ("en", "Enemy drones struck Kaluga. The enemy used Shahed drones.", ["Kaluga"]),
    ("ru", "Больше всего беспилотников сбито над Курском.", ["Курск"]),
    ("uk", "Цієї ночі над Київщиною збито дрон.", ["Київщина"]),
    ("uk", "Сім дронів збито над Київщиною.", ["Київщина"]),
    ("ru", "Украинский беспилотник упал в Курске.", ["Курск"]),
    ("uk", "Мер Києва повідомив, що уламки дрона впали в Оболонському районі.", ["Оболонський район"]),
    ("ru", "Юрий Иванов сообщил, что над Курском сбит беспилотник.", ["Курск"]),
    # a launch area after an area noun ("з району X") is not a scene; the next place phrase is
    ("uk", "Ворог запустив дрони з району Курська, над Сумщиною збито три дрони.", ["Сумщина"]),
    # a name used for a time zone is not a scene
    ("en", "A drone was shot down over Kaluga at 06:30 Moscow time.", ["Kaluga"]),
])
def test_ordinary_words_known_to_the_gazetteer_are_not_incident_places(resources, lang, text, places):
    from services.extraction.nlp import Extractor

    result = Extractor(resources, places=_Lexicon()).extract(article_id="w", text=text, title=None, language=lang,
                                                             published_at=None)
    assert sorted({result.places[e.place].normalized for e in result.events}) == places


@pytest.mark.parametrize("adjective", ["Belarusian", "Iranian", "Polish"])
def test_english_nationality_adjectives_are_not_places(extractor, adjective):
    r = _run(extractor, f"A drone attacked a fuel depot in the {adjective} border area near Gomel.")
    assert [r.places[e.place].normalized for e in r.events] == ["Gomel"]
    assert r.events[0].count == 1


@pytest.mark.parametrize("text", [
    "Tver region: a drone was shot down near Konakovo, the governor said.",
    "Tver region - a drone was shot down near Konakovo, the governor said.",
])
def test_a_region_heading_a_line_is_the_container_of_the_places_after_it(extractor, text):
    r = _run(extractor, text)
    assert [(r.places[e.place].normalized, e.count) for e in r.events] == [("Konakovo", 1)]


@pytest.mark.parametrize(("lang", "text", "count"), [
    ("en", "Russia launched drones at Mykolaiv overnight, and air defence destroyed 9 of them.", 9),
    ("ru", "Противник запустил беспилотники по Курску, силы ПВО уничтожили пять из них.", 5),
    ("uk", "Ворог запустив дрони на Суми, сили ППО знищили чотири з них.", 4),
])
def test_a_number_of_them_after_the_trigger_counts_the_weapons_named_before(extractor, lang, text, count):
    r = _run(extractor, text, lang=lang)
    assert [e.count for e in r.events if e.type == "interception"] == [count]


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Fourteen drones were downed over the Tver region, including over the Konakovsky and Kimrsky districts."),
    ("ru", "Над Тверской областью сбиты 14 беспилотников, в том числе над Конаковским и Кимрским районами."),
])
def test_a_total_with_including_belongs_to_the_region_not_its_items(extractor, lang, text):
    r = _run(extractor, text, lang=lang)
    counts = {r.places[e.place].level_hint: e.count for e in r.events if r.places[e.place].level_hint == "oblast"}
    assert counts == {"oblast": 14}
    assert all(e.count is None for e in r.events if r.places[e.place].level_hint != "oblast")
    assert len(r.events) == 3


class _EverythingIsAPlace:
    """A gazetteer as generous as the real one: every capitalised word is some village, and the
    `towns` are towns."""

    def __init__(self, towns: frozenset[str] = frozenset()):
        self.towns = towns

    def level_of(self, surface: str, language: str):
        return "village" if surface[:1].isupper() else None

    def population(self, surface: str, language: str) -> int:
        return 80_000 if surface in self.towns else 500 if surface[:1].isupper() else 0


@pytest.mark.parametrize(("lang", "text", "place"), [
    ("ru", "Силами ПВО сбит беспилотник на подлёте к Конаково.", "Конаково"),
    ("uk", "Силами ППО збито дрон на підльоті до Конотопа.", "Конотопа"),
])
def test_air_defence_forces_are_not_a_place_and_on_approach_to_names_one(resources, lang, text, place):
    from services.extraction.nlp import Extractor

    r = Extractor(resources, places=_EverythingIsAPlace(frozenset({place}))).extract(
        article_id="p", text=text, title=None, language=lang, published_at=None)
    assert [(e.type, r.places[e.place].text, e.count) for e in r.events] == [("interception", place, 1)]


@pytest.mark.parametrize(("lang", "text", "places"), [
    ("en", "A missile hit a depot in Kropyvnytskyi, said Andriy Raikovych, head of the Kirovohrad Regional "
           "Military Administration.", ["Kropyvnytskyi"]),
    ("en", "Drones attacked Kremenchuk. Nine drones were destroyed, Governor Filip Pronin said.", ["Kremenchuk"]),
    ("ru", "Беспилотник атаковал склад в Шебекино, сообщил Андрей Петров.", ["Шебекино"]),
])
def test_claimants_names_and_number_words_are_not_places(resources, lang, text, places):
    from services.extraction.nlp import Extractor

    r = Extractor(resources, places=_Knows(NAMESAKES)).extract(article_id="p", text=text, title=None,
                                                                language=lang, published_at=None)
    assert sorted({r.places[e.place].text for e in r.events}) == places


class _Knows:
    def __init__(self, names: set[str]):
        self.names = names

    def level_of(self, surface: str, language: str):
        return "village" if surface in self.names else None

    def population(self, surface: str, language: str) -> int:
        return 500 if surface in self.names else 0


# real villages share these first names, surnames and number words
NAMESAKES = {"Andriy", "Raikovych", "Nine", "Filip", "Kremenchuk", "Kropyvnytskyi", "Андрей", "Петров", "Шебекино"}
