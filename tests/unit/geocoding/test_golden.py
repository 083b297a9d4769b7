"""Golden table for the gazetteer resolver: mentions (+ level hints, parents, other places in the same
report) in en/ru/uk -> expected admin1 code, precision, English name and approximate coordinates."""

from __future__ import annotations

import math

import pytest

from shared.messages.events import PlaceMention

# (text, level_hint, parent, street, house_numbers); the LAST mention of each case is checked
CASES = [
    # id, language, mentions, expected
    (
        "en-oblast-region",
        "en",
        [("Smolensk Region", "oblast")],
        dict(admin1_code="RU-SMO", precision="admin1", name="Smolensk Oblast", at=(54.78, 32.05)),
    ),
    (
        "en-oblast",
        "en",
        [("Rostov Oblast", "oblast")],
        dict(admin1_code="RU-ROS", precision="admin1", name="Rostov Oblast", at=(47.22, 39.71)),
    ),
    (
        "en-region-no-hint",
        "en",
        [("Belgorod region", None)],
        dict(admin1_code="RU-BEL", precision="admin1", name="Belgorod Oblast"),
    ),
    ("en-city", "en", [("Kharkiv", "city")], dict(admin1_code="UA-63", precision="city", name="Kharkiv")),
    ("en-city-old-spelling", "en", [("Kharkov", None)], dict(admin1_code="UA-63", precision="city")),
    ("en-odessa", "en", [("Odessa", None)], dict(admin1_code="UA-51", precision="city", name="Odesa")),
    ("en-kyiv", "en", [("Kyiv", None)], dict(admin1_code="UA-30", precision="city", at=(50.45, 30.52))),
    ("en-kiev", "en", [("Kiev", "city")], dict(admin1_code="UA-30", precision="city")),
    ("en-moscow-city", "en", [("Moscow", None)], dict(admin1_code="RU-MOW", precision="city")),
    (
        "en-moscow-region",
        "en",
        [("Moscow region", None)],
        dict(admin1_code="RU-MOS", precision="admin1", name="Moscow Oblast", at=(55.82, 37.33)),
    ),
    ("en-nizhny", "en", [("Nizhny Novgorod", "city")], dict(admin1_code="RU-NIZ", precision="city")),
    ("en-crimea", "en", [("Crimea", None)], dict(admin1_code="UA-43", precision="admin1", at=(44.95, 34.1))),
    ("en-sevastopol", "en", [("Sevastopol", "city")], dict(admin1_code="UA-40", precision="city")),
    ("en-sea", "en", [("the Black Sea", "sea")], dict(precision="sea", name="Black Sea")),
    (
        "en-adj-skoye",
        "en",
        [("Rostov Oblast", "oblast"), ("Chertkovskoye", "district")],
        dict(admin1_code="RU-ROS", precision="admin2", name="Chertkovsky District", at=(49.38, 40.15)),
    ),
    (
        "en-misspelt-1",
        "en",
        [("Rostov Oblast", "oblast"), ("Sholkhovskoye", "district")],
        dict(admin1_code="RU-ROS", name="Sholokhovsky District"),
    ),
    (
        "en-misspelt-2",
        "en",
        [("Rostov Oblast", "oblast"), ("Boksskoye", "district")],
        dict(admin1_code="RU-ROS", precision="admin2", name="Bokovsky District", at=(49.23, 41.83)),
    ),
    (
        "en-misspelt-3",
        "en",
        [("Rostov Oblast", "oblast"), ("Verhnedonneskoye", "district")],
        dict(admin1_code="RU-ROS", name="Verkhnedonskoy District"),
    ),
    (
        "en-adj-millerovo",
        "en",
        [("Rostov Oblast", "oblast"), ("Millerovskoye", "district")],
        dict(admin1_code="RU-ROS", precision="admin2", name="Millerovsky District", at=(48.93, 40.40)),
    ),
    (
        "en-district-sky",
        "en",
        [("Bryansk Oblast", "oblast"), ("Pogarsky district", "district")],
        dict(admin1_code="RU-BRY", precision="admin2", name="Pogarsky District"),
    ),
    (
        "en-translated-district",
        "en",
        [("Volgograd", "city"), ("Tractor Factory District", "city_district", 0)],
        dict(
            admin1_code="RU-VGG",
            precision="city",
            name="Traktorozavodsky District, Volgograd",
            at=(48.71, 44.50),
        ),
    ),
    (
        "en-translated-district-volga",
        "en",
        [("Volga", "city"), ("Tractor Factory District", "district", 0)],
        dict(admin1_code="RU-VGG", name="Traktorozavodsky District, Volgograd"),
    ),
    (
        "en-left-bank",
        "en",
        [("Voronezh", "city"), ("Left Bank district", "district", 0)],
        dict(admin1_code="RU-VOR", precision="city_district", name="Levoberezhny District, Voronezh"),
    ),
    (
        "en-soviet",
        "en",
        [("Voronezh", "city"), ("Soviet district", "district", 0)],
        dict(admin1_code="RU-VOR", name="Sovetsky District, Voronezh"),
    ),
    (
        "en-central-kursk",
        "en",
        [("Kursk", "city"), ("Central district", "district", 0)],
        dict(admin1_code="RU-KRS", name="Tsentralny District, Kursk"),
    ),
    (
        "en-inline-parent",
        "en",
        [("Slobidskyi district of Kharkiv", "city_district")],
        dict(admin1_code="UA-63", precision="city_district", name="Slobidskyi District, Kharkiv"),
    ),
    (
        "en-ambiguous-context",
        "en",
        [("Samara", "city"), ("Kirovsky district", "district")],
        dict(admin1_code="RU-SAM", name="Kirovsky District, Samara"),
    ),
    (
        "en-ambiguous-context-2",
        "en",
        [("Rostov-on-Don", "city"), ("Kirovsky district", "district")],
        dict(admin1_code="RU-ROS", name="Kirovsky District, Rostov-on-Don"),
    ),
    (
        "en-street",
        "en",
        [
            ("Volgograd", "city"),
            ("Tractor Factory District", "city_district", 0),
            ("Lodygina Street", "street", 1, "Lodygina Street", ["12", "13"]),
        ],
        dict(
            admin1_code="RU-VGG",
            precision="city",
            street="Lodygina Street",
            house_numbers=["12", "13"],
            name="Lodygina Street, Traktorozavodsky District, Volgograd",
            at=(48.71, 44.50),
        ),
    ),
    ("en-unresolvable", "en", [("Xyzzyqwertbad", None)], dict(precision=None, admin1_code=None)),
    # Russian
    (
        "ru-oblast-instr",
        "ru",
        [("над Брянской областью", None)],
        dict(admin1_code="RU-BRY", precision="admin1", name="Bryansk Oblast", at=(53.27, 34.32)),
    ),
    ("ru-city-loc", "ru", [("в Курске", None)], dict(admin1_code="RU-KRS", precision="city", name="Kursk")),
    (
        "ru-oblast-gen",
        "ru",
        [("Ростовской области", "oblast")],
        dict(admin1_code="RU-ROS", precision="admin1"),
    ),
    ("ru-bare-adj", "ru", [("Белгородской", "oblast")], dict(admin1_code="RU-BEL", precision="admin1")),
    (
        "ru-district-instr",
        "ru",
        [("Ростовская область", "oblast"), ("Миллеровском районе", "district")],
        dict(admin1_code="RU-ROS", precision="admin2", name="Millerovsky District"),
    ),
    (
        "ru-city-district-gen",
        "ru",
        [("Тракторозаводском районе Волгограда", "city_district")],
        dict(
            admin1_code="RU-VGG",
            precision="city",
            name="Traktorozavodsky District, Volgograd",
            city="Volgograd",
        ),
    ),
    (
        "ru-street",
        "ru",
        [("в Волгограде", "city"), ("ул. Лодыгина", "street", 0, "ул. Лодыгина", ["12"])],
        dict(
            admin1_code="RU-VGG",
            precision="city",
            street="Lodygina Street",
            house_numbers=["12"],
            name="Lodygina Street, Volgograd",
        ),
    ),
    ("ru-voronezh", "ru", [("в Воронеже", None)], dict(admin1_code="RU-VOR", precision="city")),
    ("ru-nizhny", "ru", [("в Нижнем Новгороде", None)], dict(admin1_code="RU-NIZ", precision="city")),
    ("ru-kharkiv", "ru", [("Харькове", None)], dict(admin1_code="UA-63", precision="city")),
    ("ru-kiev", "ru", [("Киеве", None)], dict(admin1_code="UA-30", precision="city")),
    ("ru-podmoskovye", "ru", [("в Подмосковье", None)], dict(admin1_code="RU-MOS", precision="admin1")),
    ("ru-stress", "ru", [("Бря́нской области", None)], dict(admin1_code="RU-BRY", precision="admin1")),
    ("ru-yo", "ru", [("Орёл", "city")], dict(admin1_code="RU-ORL", precision="city")),
    (
        "ru-kirovsky-samara",
        "ru",
        [("Самаре", "city"), ("Кировском районе", "district")],
        dict(admin1_code="RU-SAM", name="Kirovsky District, Samara"),
    ),
    (
        "ru-krasnodar-krai",
        "ru",
        [("Краснодарском крае", None)],
        dict(admin1_code="RU-KDA", precision="admin1", name="Krasnodar Krai"),
    ),
    # Ukrainian
    (
        "uk-oblast-loc",
        "uk",
        [("у Київській області", None)],
        dict(admin1_code="UA-32", precision="admin1", name="Kyiv Oblast", at=(50.45, 30.52)),
    ),
    ("uk-city-loc", "uk", [("у Харкові", None)], dict(admin1_code="UA-63", precision="city", name="Kharkiv")),
    ("uk-shchyna", "uk", [("на Миколаївщині", None)], dict(admin1_code="UA-48", precision="admin1")),
    ("uk-shchyna-2", "uk", [("Одещині", None)], dict(admin1_code="UA-51", precision="admin1")),
    (
        "uk-apostrophe-district",
        "uk",
        [("у Києві", "city"), ("Солом'янському районі", "district")],
        dict(admin1_code="UA-30", precision="city_district", name="Solomianskyi District, Kyiv"),
    ),
    (
        "uk-apostrophe-variant",
        "uk",
        [("у Києві", "city"), ("Соломʼянському районі", "district")],
        dict(admin1_code="UA-30", name="Solomianskyi District, Kyiv"),
    ),
    (
        "uk-district-parent",
        "uk",
        [("Києва", "city"), ("Дніпровському районі", "district", 0)],
        dict(admin1_code="UA-30", name="Dniprovskyi District, Kyiv"),
    ),
    (
        "uk-district-parent-zp",
        "uk",
        [("Запоріжжя", "city"), ("Дніпровському районі", "district", 0)],
        dict(admin1_code="UA-23", name="Dniprovskyi District, Zaporizhzhia"),
    ),
    ("uk-oblast-gen", "uk", [("Запорізької області", None)], dict(admin1_code="UA-23", precision="admin1")),
    ("uk-lviv", "uk", [("Львові", None)], dict(admin1_code="UA-46", precision="city", name="Lviv")),
    ("uk-sumy", "uk", [("в Сумах", None)], dict(admin1_code="UA-59", precision="city")),
    ("uk-ru-oblast", "uk", [("Бєлгородській області", None)], dict(admin1_code="RU-BEL", precision="admin1")),
    (
        "uk-list",
        "uk",
        [("Дніпропетровської, Кіровоградської та Запорізької областей", "oblast")],
        dict(admin1_code="UA-12", precision="admin1"),
    ),
]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    r = math.radians
    x = (
        math.sin(r(b[0] - a[0]) / 2) ** 2
        + math.cos(r(a[0])) * math.cos(r(b[0])) * math.sin(r(b[1] - a[1]) / 2) ** 2
    )
    return 12742 * math.asin(math.sqrt(x))


def _mentions(spec):
    out, pos = [], 0
    for item in spec:
        text, hint, parent, street, houses = (list(item) + [None, None, None, None])[:5]
        out.append(
            PlaceMention(
                text=text,
                span=(pos, pos + len(text)),
                normalized=text,
                level_hint=hint,
                parent=parent,
                street=street,
                house_numbers=houses or [],
            )
        )
        pos += len(text) + 10
    return out


@pytest.mark.parametrize("case_id,language,spec,expected", CASES, ids=[c[0] for c in CASES])
def test_golden(geocoder, case_id, language, spec, expected):
    places = _mentions(spec)
    locs = geocoder.resolve(places, language=language, text="")
    assert len(locs) == len(places)
    loc = locs[-1]
    assert loc.mention == places[-1].text and loc.span == places[-1].span
    assert loc.reason, "every location explains itself"
    for field, want in expected.items():
        if field == "at":
            assert loc.lat is not None and _km((loc.lat, loc.lon), want) < 15, (loc.lat, loc.lon, loc.reason)
        else:
            assert getattr(loc, field) == want, f"{field}: {getattr(loc, field)!r} != {want!r} ({loc.reason})"
    if loc.precision is None:
        assert loc.lat is None and loc.lon is None
    else:
        assert loc.lat is not None and 0 < loc.confidence <= 1


def test_case_count():
    assert len(CASES) >= 40
