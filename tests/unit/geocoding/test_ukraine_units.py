"""Ukraine in the embedded default (data/ua_units.tsv, derived by tools/derive_ua_units.py): the raions of
the 2020 reform, the hromadas at their centres and the city districts of the large cities resolve from our
own mentions, in Ukrainian, Russian and English and in their inflected forms."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from shared.messages.events import PlaceMention
from shared.places import sources

ROOT = Path(__file__).resolve().parents[3]


def _km(a, b) -> float:
    dy = (a[0] - b[0]) * 111.2
    dx = (a[1] - b[1]) * 111.2 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def _resolve(geocoder, language, *spec):
    """Resolve one report's mentions ((text, hint) or (text, hint, parent index)); the last one's Location."""
    places, pos = [], 0
    for text, hint, *parent in spec:
        places.append(
            PlaceMention(
                text=text,
                span=(pos, pos + len(text)),
                normalized=text,
                level_hint=hint,
                parent=parent[0] if parent else None,
            )
        )
        pos += len(text) + 10
    return geocoder.resolve(places, language=language)[-1]


@pytest.mark.parametrize(
    "language,spec,admin1,name,at",
    [
        # raions, inflected, with and without the oblast; Shostka's is a council in GeoNames
        (
            "uk",
            [("Одеській області", "oblast"), ("Ізмаїльському районі", "raion", 0)],
            "UA-51",
            "Izmail Raion",
            (45.35, 28.84),
        ),
        ("uk", [("Шосткинського району", "raion")], "UA-59", "Shostka Raion", (51.86, 33.47)),
        ("en", [("Shostka district", "district")], "UA-59", "Shostka Raion", (51.86, 33.47)),
        ("ru", [("Ніжинському районі", "raion")], "UA-74", "Nizhyn Raion", (51.05, 31.89)),
        ("en", [("Cherkasy region", "oblast"), ("Zvenyhorod district", "district", 0)], "UA-71", None, (49.08, 30.96)),
        ("uk", [("Криворізькому районі", "raion")], "UA-12", None, (47.91, 33.39)),
    ],
)
def test_raions(geocoder, language, spec, admin1, name, at):
    loc = _resolve(geocoder, language, *spec)
    assert loc.admin1_code == admin1 and loc.precision == "admin2", loc
    assert name is None or loc.name == name, loc
    assert _km((loc.lat, loc.lon), at) < 10, loc


@pytest.mark.parametrize(
    "language,spec,name,at",
    [
        ("uk", [("Сумщині", "oblast"), ("Краснопільській громаді", "hromada")], "Krasnopillia Hromada", (50.77, 35.26)),
        ("uk", [("Сумській області", "oblast"), ("Есманьську громаду", "hromada")], "Esman Hromada", (51.77, 34.07)),
        ("uk", [("Есманьська селищна територіальна громада", None)], "Esman Hromada", (51.77, 34.07)),
        (
            "uk",
            [("Чернігівщині", "oblast"), ("Семенівській територіальній громаді", "hromada")],
            "Semenivka Hromada",
            (52.18, 32.58),
        ),
        (
            "en",
            [("Sumy region", "oblast"), ("Krasnopillia community", "hromada")],
            "Krasnopillia Hromada",
            (50.77, 35.26),
        ),
        (
            "en",
            [("Dnipropetrovsk Oblast", "oblast"), ("Marhanets hromada", "hromada")],
            "Marhanets Hromada",
            (47.63, 34.62),
        ),
    ],
)
def test_hromadas_resolve_to_their_centre(geocoder, language, spec, name, at):
    loc = _resolve(geocoder, language, *spec)
    assert loc.precision == "admin2" and loc.name == name, loc
    assert _km((loc.lat, loc.lon), at) < 5, loc
    assert loc.admin2 and loc.admin2.endswith("Raion"), "a hromada lies in its raion"


def test_a_hromada_whose_centre_geonames_lacks_takes_its_raions_point(geocoder):
    # Sumy Raion has two Mykolaivka hromadas; the village one's centre is below GeoNames' 500 inhabitants
    loc = _resolve(geocoder, "uk", ("Сумщині", "oblast"), ("Миколаївській сільській громаді", "hromada"))
    assert loc.admin1_code == "UA-59" and loc.precision == "admin2" and loc.admin2 == "Sumskyi Raion", loc
    assert _km((loc.lat, loc.lon), (50.92, 34.80)) < 5 and "centre unknown" in loc.reason, loc


def test_a_hromada_name_needs_the_word_hromada(gazetteer):
    # 'Сумська' alone is the oblast, 'Сумський район' the raion: a hromada has no bare adjectival name
    assert gazetteer.level_of("Сумській", "uk") == "oblast"
    assert gazetteer.level_of("Сумському районі", "uk") == "district"
    assert gazetteer.level_of("Есманьська громада", "uk") == "district"


@pytest.mark.parametrize(
    "language,spec",
    [
        ("uk", [("Харкові", "city"), ("Основ'янському районі", "district", 0)]),
        ("ru", [("Основянском районе Харькова", None)]),
        ("en", [("Osnovianskyi district of Kharkiv", None)]),
        ("en", [("Kharkiv", "city"), ("Osnovianskyi district", "district", 0)]),
    ],
)
def test_kharkiv_city_district_in_three_languages(geocoder, language, spec):
    loc = _resolve(geocoder, language, *spec)
    assert loc.name == "Osnovianskyi District, Kharkiv" and loc.precision == "city_district", loc
    assert loc.admin1_code == "UA-63" and loc.city == "Kharkiv"


@pytest.mark.parametrize(
    "language,mention",
    [
        ("uk", "Металургійному районі Кривого Рогу"),
        ("ru", "Металлургическом районе Кривого Рога"),
        ("en", "Metalurhiinyi district of Kryvyi Rih"),
    ],
)
def test_a_district_without_a_point_resolves_to_its_city(geocoder, language, mention):
    loc = _resolve(geocoder, language, (mention, None))
    assert loc.name.startswith("Metalurhiinyi District") and loc.admin1_code == "UA-12", loc
    assert loc.precision == "city" and _km((loc.lat, loc.lon), (47.91, 33.39)) < 10, loc
    assert "no coordinates of its own" in loc.reason


def test_a_district_geonames_places_has_its_point(geocoder):
    loc = _resolve(geocoder, "uk", ("Новозаводському районі Чернігова", None))
    assert loc.name == "Novozavodskyi District, Chernihiv" and loc.precision == "city_district", loc
    assert _km((loc.lat, loc.lon), (51.49, 31.26)) < 3


# -- the table --------------------------------------------------------------------------------------
def test_table_is_consistent():
    rows = sources.read_tsv("ua_units.tsv")
    raions = {r["code"]: r for r in rows if r["kind"] == "raion"}
    hromadas = [r for r in rows if r["kind"] == "hromada"]
    a1 = {r["iso"] for r in sources.read_tsv("admin1.tsv")}
    assert (
        len(raions) == 136
        and len(hromadas) > 1400
        and {r["kind"] for r in rows} == {"raion", "hromada", "city_district"}
    )
    assert all(r["admin1"] in a1 for r in rows)
    assert all(r["parent_code"] in raions for r in hromadas)
    gids = [r["geonameid"] for r in hromadas if r["geonameid"]]
    assert len(gids) == len(set(gids)), "a place is the centre of one hromada at most"
    for r in hromadas:
        centre = raions[r["parent_code"]]
        if r["lat"] and centre["lat"]:
            assert _km((float(r["lat"]), float(r["lon"])), (float(centre["lat"]), float(centre["lon"]))) < 110, r


def _derive_tool():
    spec = importlib.util.spec_from_file_location("derive_ua_units", ROOT / "tools" / "derive_ua_units.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_derivation_finds_centres_and_points():
    tool = _derive_tool()
    ob, ra, hr = "UA59000000000057109", "UA59100000000036457", "UA59100090000070000"
    katottg = [
        dict(level1=ob, level2="", level3="", level4="", level_extra="", category="O", name="Сумська"),
        dict(level1=ob, level2=ra, level3="", level4="", level_extra="", category="P", name="Шосткинський"),
        dict(level1=ob, level2=ra, level3=hr, level4="", level_extra="", category="H", name="Есманська"),
        dict(level1=ob, level2=ra, level3=hr, level4=hr[:-5] + "10001", level_extra="", category="C", name="Калинівка"),
        dict(level1=ob, level2=ra, level3=hr, level4=hr[:-5] + "10002", level_extra="", category="X", name="Есмань"),
        dict(
            level1=ob,
            level2=ra,
            level3=hr[:-5] + "99999",
            level4=hr[:-5] + "99001",
            level_extra="",
            category="M",
            name="Шостка",
        ),
    ]
    rows = tool.derive(katottg, tool.Points(None), {})
    raion, hromada = rows
    assert (raion["kind"], raion["name_en"], raion["centre_en"]) == ("raion", "Shostkynskyi", "Shostka")
    assert raion["admin1"] == "UA-59" and raion["geonames_admin2"] == "UA.21.5910"
    assert (hromada["centre_uk"], hromada["centre_category"], hromada["parent_code"]) == ("Есмань", "X", ra)
    assert _km((float(hromada["lat"]), float(hromada["lon"])), (51.77, 34.07)) < 3
    assert tool.named_after("Лубенський", "Лубни")[1] and tool.named_after("Білоцерківський", "Біла Церква")[1]
    assert not tool.named_after("Сумська", "Есмань")[1]
