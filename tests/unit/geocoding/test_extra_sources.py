"""The richer gazetteer sources (GAZETTEER_EXTRA_SOURCES): file readers and point-in-polygon on small
hand-made inputs, and the rich index built once per session (about a minute) from the shared data folder
`../shared/data/gazetteer` (skipped cleanly when that folder is absent): district centres, villages with
their district links, hromadas, merging, the golden table, and that surnames do not become place names."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pytest

from shared.geo import haversine_km as km
from shared.messages.events import PlaceMention
from shared.places import Gazetteer, GazetteerGeocoder, build_index
from shared.places.extra import files
from shared.places.extra.geo import PolygonLayer
from shared.places.extra.merge import district_display

from .test_golden import CASES, _mentions

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "gazetteer"


# -- small inputs, no data folder needed --------------------------------------------------------------
def test_polygon_layer_with_hole():
    layer = PolygonLayer()
    outer = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]
    hole = [(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 2.0), (1.0, 1.0)]
    layer.add("a", [[outer, hole]])
    layer.add("b", [[[(4.0, 0.0), (8.0, 0.0), (8.0, 4.0), (4.0, 0.0)]]])
    assert layer.locate(lat=3.0, lon=3.0) == ["a"]
    assert layer.locate(lat=1.5, lon=1.5) == []  # inside the hole
    assert layer.locate(lat=1.0, lon=7.0) == ["b"]
    assert layer.locate(lat=9.0, lon=9.0) == []


def test_geonames_place_reader(tmp_path):
    row = ["123", "Kazanskaya", "Kazanskaya", "Kazanskaja,Казанская", "49.79", "41.15", "P", "PPL", "RU", "",
           "61", "", "", "", "5000", "", "", "Europe/Moscow", ""]
    p = tmp_path / "cities500.txt.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        fh.write("\t".join(row) + "\n" + "not a row\n")
    rows = list(files.geonames_places(p))
    assert len(rows) == 1 and rows[0]["lat"] == 49.79 and rows[0]["pop"] == 5000
    assert rows[0]["alt"] == ["Kazanskaja", "Казанская"] and rows[0]["admin1"] == "61"
    assert files.find(tmp_path, "cities500*.txt*", "RU.txt*") == [p]


def test_district_display():
    assert district_display("Верхнедонской", "RU") == "Verkhnedonskoy District"
    assert district_display("Чертковский", "RU") == "Chertkovsky District"
    assert district_display("Город Азов", "RU") == "Azov Urban Okrug"


# -- the rich index ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def rich(tmp_path_factory):
    if not (DATA / "README.md").exists():
        pytest.skip(f"gazetteer data folder not found: {DATA}")
    lines: list[str] = []
    path = tmp_path_factory.mktemp("gazetteer_rich") / "rich.pkl.gz"
    stats = build_index(path, extra_sources=DATA, progress=lines.append)
    g = Gazetteer.load(path)
    return g, GazetteerGeocoder(g), stats, lines


def _resolve(geo, spec, language="en"):
    return geo.resolve(_mentions(spec), language=language)[-1]


def test_rich_build_stats_and_progress(rich):
    g, _geo, stats, lines = rich
    assert stats.entries["city"] > 150_000 and stats.entries["admin2"] > 4_000
    assert any("settlements_ru" in s for s in stats.sources) and any("katottg" in s for s in stats.sources)
    for name in ("cities500", "settlements_ru", "osm_municipal_districts_ru.geojson", "katottg", "hflabs_city"):
        assert any(name in line for line in lines), name
    assert g.sources_of(0) and stats.size_bytes < 30_000_000


def test_russian_districts_have_coordinates(rich):
    g = rich[0]
    ru = [e for e in g.entries if e.level == "admin2" and e.cc == "RU"]
    missing = [e.name for e in ru if e.lat is None]
    # a few GeoNames-only units (Finnish exonyms, 'Gorodskoye Poseleniye ...') match no national source
    assert len(ru) > 2_000 and len(missing) < 0.03 * len(ru), missing[:20]


@pytest.mark.parametrize(
    "mentions,language,name,at,km_max",
    [
        ([("Rostov Oblast", "oblast"), ("Verkhnedonskoy district", "district")], "en", "Verkhnedonskoy District",
         (49.79, 41.15), 5),
        ([("Rostov Oblast", "oblast"), ("Sholokhovsky District", "district")], "en", "Sholokhovsky District",
         (49.63, 41.73), 5),
        ([("Ростовская область", "oblast"), ("Верхнедонском районе", "district")], "ru", "Verkhnedonskoy District",
         (49.79, 41.15), 5),
        ([("Rostov Oblast", "oblast"), ("Verhnedonneskoye", "district")], "en", "Verkhnedonskoy District",
         (49.79, 41.15), 5),
        ([("Lipetsk Oblast", "oblast"), ("Usmansky District", "district")], "en", "Usmansky District",
         (52.04, 39.73), 10),
    ],
)
def test_district_centres(rich, mentions, language, name, at, km_max):
    loc = _resolve(rich[1], mentions, language)
    assert loc.name == name and loc.precision == "admin2", loc.reason
    assert km(loc.lat, loc.lon, *at) < km_max, (loc.lat, loc.lon, loc.reason)


def test_village_with_district_link(rich):
    loc = _resolve(rich[1], [("Ростовской области", "oblast"), ("станице Казанской", "village")], "ru")
    assert loc.admin1_code == "RU-ROS" and loc.admin2 == "Verkhnedonskoy District" and loc.precision == "city"
    assert km(loc.lat, loc.lon, 49.79, 41.15) < 5


def test_village_inside_parent_district(rich):
    # many 'Ивановка' exist; the parent district picks the one inside it
    spec = [("Миллеровском районе", "district"), ("Ивановка", "village", 0)]
    loc = _resolve(rich[1], spec, "ru")
    assert loc.admin1_code == "RU-ROS" and loc.admin2 == "Millerovsky District", loc.reason


def test_one_entry_per_place_with_sources(rich):
    g = rich[0]
    chertkovo = [i for i, e in enumerate(g.entries) if e.level == "city" and e.a1 == "RU-ROS"
                 and e.name == "Chertkovo"]
    assert len(chertkovo) == 1
    src = g.sources_of(chertkovo[0])
    assert "embedded" in src and "settlements_ru" in src
    assert g.entries[chertkovo[0]].a2 == "Chertkovsky District"


def test_point_in_polygon_assigned_districts(rich):
    g = rich[0]
    pip = [e for i, e in enumerate(g.entries) if "osm_pip" in g.sources_of(i)]
    assert pip and all(g.entries[e.parent].level == "admin2" for e in pip)


def test_ukrainian_hromada_and_raion(rich):
    geo = rich[1]
    loc = _resolve(geo, [("Сумській області", "oblast"), ("Краснопільській громаді", "hromada")], "uk")
    assert loc.admin1_code == "UA-59" and loc.precision == "admin2" and "Hromada" in loc.name, loc.reason
    assert loc.admin2 == "Sumskyi Raion"
    raion = _resolve(geo, [("Шосткинському районі", "district")], "uk")
    assert raion.admin1_code == "UA-59" and km(raion.lat, raion.lon, 51.87, 33.48) < 15


def test_ukrainian_village_has_raion(rich):
    loc = _resolve(rich[1], [("Сумщині", "oblast"), ("селі Миропілля", "village")], "uk")
    assert loc.admin1_code == "UA-59" and loc.precision == "city" and loc.admin2 == "Sumskyi Raion", loc.reason


def test_surnames_are_not_bare_place_names(rich):
    g = rich[0]
    for surface, lang in (("Bogomaz", "en"), ("Бочаров", "ru"), ("Artamonov", "en")):
        assert g.level_of(surface, lang) is None, surface
    assert g.level_of("Kursk", "en") == "city" and g.level_of("Шебекино", "ru") == "city"


@pytest.mark.parametrize("case_id,language,spec,expected", CASES, ids=[c[0] for c in CASES])
def test_golden_on_rich_index(rich, case_id, language, spec, expected):
    loc = rich[1].resolve(_mentions(spec), language=language, text="")[-1]
    for field, want in expected.items():
        if field == "at":
            r = math.radians
            assert loc.lat is not None
            d = 12742 * math.asin(math.sqrt(math.sin(r(want[0] - loc.lat) / 2) ** 2 + math.cos(r(loc.lat))
                                            * math.cos(r(want[0])) * math.sin(r(want[1] - loc.lon) / 2) ** 2))
            assert d < 15, (loc.lat, loc.lon, loc.reason)
        else:
            assert getattr(loc, field) == want, f"{field}: {getattr(loc, field)!r} != {want!r} ({loc.reason})"


def test_rich_resolve_never_raises(rich):
    odd = [PlaceMention(text="", span=(0, 0), normalized=""),
           PlaceMention(text="Zzqxv", span=(1, 6), normalized="Zzqxv")]
    assert len(rich[1].resolve(odd, language="en")) == 2


def test_a_bare_big_city_beats_a_same_named_village_in_a_region_the_report_names(rich):
    _g, geo, _stats, _lines = rich
    text = "Drones were shot down over Bryansk region; debris also fell in Kursk and Belgorod."
    places = []
    for word, level in (("Bryansk region", "oblast"), ("Kursk", None), ("Belgorod", None)):
        start = text.index(word)
        places.append(PlaceMention(text=word, span=(start, start + len(word)), normalized=word, level_hint=level))
    locations = geo.resolve(places, language="en", text=text)
    assert [loc.admin1_code for loc in locations] == ["RU-BRY", "RU-KRS", "RU-BEL"]
    assert locations[2].precision == "city" and 50.4 < locations[2].lat < 50.8
