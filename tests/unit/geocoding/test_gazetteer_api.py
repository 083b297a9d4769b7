"""Gazetteer API behaviour: build stats, load speed, level_of, robustness, normalisation keys. (The
resolve speed is measured by `make bench-geocode`, bench/geocode.py, not here.)"""

from __future__ import annotations

import time

import pytest

from shared.messages.events import PlaceMention
from shared.places import Gazetteer, build_index
from shared.places.normalize import fold, split_descriptors, stem


def test_build_stats(built_index):
    path, stats = built_index
    assert path.exists() and stats.size_bytes == path.stat().st_size
    assert stats.entries["admin1"] >= 110 and stats.entries["admin2"] > 2000
    assert stats.entries["city"] > 10000 and stats.entries["city_district"] >= 100
    assert stats.build_seconds > 0 and stats.keys > 10000


def test_extra_sources_must_be_a_folder(tmp_path):
    # the importers themselves are tested in test_extra_sources.py
    with pytest.raises(FileNotFoundError):
        build_index(tmp_path / "x.pkl.gz", extra_sources=tmp_path / "missing")


def test_load_is_fast(built_index):
    t0 = time.perf_counter()
    Gazetteer.load(built_index[0])
    assert time.perf_counter() - t0 < 5  # target < 2 s; generous bound for slow CI


@pytest.mark.parametrize(
    "surface,language,level",
    [
        ("Курске", "ru", "city"),
        ("Kharkiv", "en", "city"),
        ("Брянской области", "ru", "oblast"),
        ("Київській області", "uk", "oblast"),
        ("Harkiv", "en", "city"),
        ("Миколаївщині", "uk", "oblast"),
        ("Smolensk Region", "en", "oblast"),
        ("Чертковском районе", "ru", "district"),
        ("Black Sea", "en", "sea"),
        ("собака", "ru", None),
        ("Zzqxv", "en", None),
        ("", "en", None),
    ],
)
def test_level_of(gazetteer, surface, language, level):
    assert gazetteer.level_of(surface, language) == level


@pytest.mark.parametrize(
    "a,b",
    [
        ("Харків", "Kharkiv"),
        ("Солом'янський", "Solomyanskyi"),
        ("Шолоховский", "Sholokhovsky"),
        ("Брянской", "Bryansk"),
        ("Верхнедонской", "Verkhnedonskoy"),
        ("Курске", "Kursk"),
        ("Бря́нск", "Брянск"),
        ("Орёл", "Орел"),
    ],
)
def test_stem_keys_cross_script(a, b):
    assert stem(split_descriptors(a)[0]) == stem(split_descriptors(b)[0])


def test_descriptor_split():
    assert split_descriptors("Тракторозаводском районе Волгограда")[1:] == ("district", "volhohrada")
    assert split_descriptors("Smolensk Region") == ("smolensk", "oblast", None)
    assert fold("Київ") == "kiiv".replace("ii", "i")


def test_never_raises_on_odd_input(geocoder):
    places = [
        PlaceMention(text="", span=(0, 0), normalized=""),
        PlaceMention(text="Kursk", span=(0, 5), normalized="Kursk", parent=7),  # parent out of range
        PlaceMention(text="A", span=(5, 6), normalized="A", parent=3),
        PlaceMention(text="B", span=(6, 7), normalized="B", parent=2),  # cycle
        PlaceMention(
            text="Main Street",
            span=(8, 19),
            normalized="Main Street",
            level_hint="street",
            street="Main Street",
        ),
    ]
    locs = geocoder.resolve(places, language="en")
    assert len(locs) == 5
    assert locs[0].precision is None and locs[0].reason
    assert locs[1].admin1_code == "RU-KRS"
    assert geocoder.resolve([], language="ru") == []
