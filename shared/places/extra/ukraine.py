"""Ukrainian sources: OCHA admin1/2/3 tables (oblast, raion and hromada names in uk/ru/en with centroids),
KATOTTG (the official hierarchy of oblasts, raions, hromadas, settlements and city districts, no
coordinates), the GeoNames postal dump (approximate settlement coordinates) and OSM oblast polygons (a
postal point must lie in its oblast). Settlements take coordinates from a known town of the same name
near their hromada, else a postal place of that name near the hromada, else the hromada centroid (the
entry then records the source `ocha_hromada_centroid`). Raions are centred on the town they are named
after, else their OCHA centroid; hromadas become admin2-level entries named '<X> hromada' under their
raion, centred on their namesake settlement. KATOTTG codes map to OCHA p-codes by prefix (UA0102003...).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.geo import haversine_km as km

from ..build import _Builder, _name_match
from . import files
from .geo import PolygonLayer
from .merge import Registry, display, key

# KATOTTG/OCHA oblast codes that differ from the ISO 3166-2 (KOATUU-based) codes
_ISO_EXCEPTIONS = {"UA01": "UA-43", "UA44": "UA-09", "UA73": "UA-77", "UA80": "UA-30", "UA85": "UA-40"}
SRC = "katottg"


def iso_of(code: str) -> str:
    return _ISO_EXCEPTIONS.get(code[:4], f"UA-{code[2:4]}")


def load(b: _Builder, reg: Registry, ctx: dict[str, Any], folder: Path, say: Callable[[str], None]) -> list[str]:
    used: list[str] = []
    a1_eid: dict[str, int] = ctx["a1_eid"]
    en_iso: dict[str, str] = {}
    raion: dict[str, int] = {}
    centroid: dict[int, tuple[float, float]] = {}
    hromada: dict[str, files.Record] = {}
    _read_ocha(b, reg, ctx, folder, say, used, en_iso, raion, centroid, hromada)
    postal = _read_postal(folder, say, used, en_iso)
    for p in files.find(folder, "katottg*.tsv*"):
        used.append(f"{p.name} (KATOTTG, government data)")
        counts = _katottg(b, reg, a1_eid, p, raion, hromada, postal, centroid)
        say(f"{p.name}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if raion:
        _raion_centres(b, raion, centroid)
        n = _nearest_raion(b, reg, hromada, raion)
        say(f"Ukrainian towns given a raion by nearest hromada centroid: {n}")
    return used


def _read_ocha(b: _Builder, reg: Registry, ctx: dict[str, Any], folder: Path, say: Callable[[str], None],
               used: list[str], en_iso: dict[str, str], raion: dict[str, int],
               centroid: dict[int, tuple[float, float]], hromada: dict[str, files.Record]) -> None:
    """OCHA's oblasts (names merged), raions (merged or added, with centroids) and hromada centroids."""
    a1_eid: dict[str, int] = ctx["a1_eid"]
    for p in files.find(folder, "ocha_admin1*.tsv"):
        used.append(f"{p.name} (OCHA COD-AB, licence unclear)")
        for r in files.table(p):
            iso = iso_of(r["pcode"])
            en_iso[key(r["name_en"]) or ""] = iso
            if iso in a1_eid:
                reg.merge(a1_eid[iso], "ocha", [r["name_uk"], r["name_ru"]])
    for p in files.find(folder, "ocha_admin2*.tsv"):
        used.append(f"{p.name} (OCHA COD-AB, licence unclear)")
        for r in files.table(p):
            raion[r["pcode"]] = _raion(b, reg, ctx, r, centroid)
        say(f"{p.name}: {len(raion)} raions")
    for p in files.find(folder, "ocha_admin3*.tsv"):
        used.append(f"{p.name} (OCHA COD-AB, licence unclear)")
        for r in files.table(p):
            hromada[r["pcode"]] = dict(r, lat=float(r["centroid_lat"]), lon=float(r["centroid_lon"]))
        say(f"{p.name}: {len(hromada)} hromada centroids")


def _read_postal(folder: Path, say: Callable[[str], None], used: list[str],
                 en_iso: dict[str, str]) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """GeoNames postal places by (oblast, name key), kept inside their oblast's OSM outline when read."""
    oblasts: PolygonLayer[str | None] = PolygonLayer()
    for p in files.find(folder, "osm_oblasts_ua*.geojson*"):
        used.append(f"{p.name} (OSM, ODbL)")
        for f in files.geojson_features(p):
            oblasts.add((f.get("properties") or {}).get("iso3166-2"), files.rings(f.get("geometry")))
        say(f"{p.name}: {len(oblasts)} oblast polygons")
    postal: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for p in files.find(folder, "UA.txt*"):
        if p.parent.name != "postalcodes":
            continue
        used.append(f"GeoNames postal codes {p.name} (CC BY 4.0)")
        for r in files.postal(p):
            oblast = en_iso.get(key(r["admin_name1"]) or "")
            if oblast and (not len(oblasts) or oblast in oblasts.locate(r["lat"], r["lon"])):
                pt = (r["lat"], r["lon"])
                if pt not in postal[(oblast, key(r["place_name"]) or "")]:
                    postal[(oblast, key(r["place_name"]) or "")].append(pt)
        say(f"{p.name}: {len(postal)} postal place names")
    return postal


def _raion(b: _Builder, reg: Registry, ctx: dict[str, Any], r: files.Record,
           centroid: dict[int, tuple[float, float]]) -> int:
    iso = iso_of(r["pcode"])
    names = [r["name_uk"], r["name_ru"], r["name_en"], f"{r['name_uk']} район", f"{r['name_en']} Raion"]
    hits = [e for n in names for e in reg.lookup(iso, "admin2", n)]
    if hits:
        eid = hits[0]
        reg.merge(eid, "ocha", names)
    else:
        name = f"{r['name_en']} Raion"
        a1e = ctx["a1_eid"].get(iso)
        eid = reg.add("ocha", "admin2", name, "UA", iso, a2=name, parent=a1e, aliases=names)
    centroid[eid] = (float(r["centroid_lat"]), float(r["centroid_lon"]))
    return eid


def _katottg(b: _Builder, reg: Registry, a1_eid: dict[str, int], path: Path, raion: dict[str, int],
             hromada: dict[str, files.Record], postal: dict[tuple[str, str], list[tuple[float, float]]],
             raion_centroid: dict[int, tuple[float, float]]) -> dict[str, int]:
    counts = {"settlements": 0, "merged": 0, "postal coordinates": 0, "hromada-centroid coordinates": 0,
              "hromadas": 0, "city districts": 0}
    members: dict[str, list[int]] = defaultdict(list)
    city_of: dict[str, int] = {}
    rows = list(files.table(path))
    for r in rows:
        cat, name = r["category"], r["name"].strip()
        codes = [r[c] for c in ("level1", "level2", "level3", "level4", "level_extra") if r.get(c)]
        if cat not in ("M", "X", "C") or len(codes) < 4:
            continue
        iso, hcode = iso_of(codes[0]), codes[2][:9]
        h = hromada.get(hcode)
        r_eid = raion.get(codes[1][:6])
        # anchor: the hromada centroid, else (hromadas missing from OCHA) the raion centroid
        anchor: tuple[float, float] | None = (h["lat"], h["lon"]) if h is not None else (
            raion_centroid.get(r_eid) if r_eid is not None else None)
        radius = 40.0 if h is not None else 60.0
        if anchor is not None:
            eid = reg.near(iso, "city", [name], anchor[0], anchor[1], radius, skip_source=SRC)
        else:
            eid = next(iter(reg.lookup(iso, "city", name)), None) if cat == "M" else None
        if eid is not None:
            reg.merge(eid, SRC, [name])
            counts["merged"] += 1
        else:
            eid = _new_settlement(b, reg, a1_eid, iso, name, cat, anchor, radius, h, postal, counts)
            if eid is None:
                continue
        if r_eid is not None:  # KATOTTG is the current (post-2020) raion; GeoNames links may be older
            reg.set_parent(eid, r_eid)
        members[hcode].append(eid)
        if cat == "M":
            city_of[codes[3]] = eid
    for r in rows:
        codes = [r[c] for c in ("level1", "level2", "level3", "level4", "level_extra") if r.get(c)]
        if r["category"] == "H" and len(codes) >= 3:
            counts["hromadas"] += _hromada(b, reg, r["name"].strip(), codes, raion, hromada, members)
        elif r["category"] == "B" and len(codes) >= 5 and codes[3] in city_of:
            counts["city districts"] += _city_district(b, reg, r["name"].strip(), city_of[codes[3]])
    return counts


def _new_settlement(b: _Builder, reg: Registry, a1_eid: dict[str, int], iso: str, name: str, cat: str,
                    anchor: tuple[float, float] | None, radius: float, h: files.Record | None,
                    postal: dict[tuple[str, str], list[tuple[float, float]]], counts: dict[str, int]) -> int | None:
    """A KATOTTG settlement no source had: added at its postal coordinates near the anchor, else at
    its hromada's centroid; None (not added) without either."""
    lat: float | None = None
    lon: float | None = None
    pts = postal.get((iso, key(name) or ""), [])
    if anchor is not None and pts:
        d, pt = min((km(anchor[0], anchor[1], *pt), pt) for pt in pts)
        if d <= radius - 10:
            lat, lon = pt
            counts["postal coordinates"] += 1
    src = SRC
    if lat is None and h is not None:
        lat, lon, src = h["lat"], h["lon"], "ocha_hromada_centroid"
        counts["hromada-centroid coordinates"] += 1
    if lat is None:
        return None
    shown = display(name)
    eid = reg.add(SRC, "city", shown, "UA", iso, city=shown, lat=lat, lon=lon,
                  pop={"M": 5000, "X": 1000}.get(cat, 0), parent=a1_eid.get(iso), aliases=[name])
    b.srcs[eid].add(src)
    counts["settlements"] += 1
    return eid


def _hromada(b: _Builder, reg: Registry, name: str, codes: list[str], raion: dict[str, int],
             hromada: dict[str, files.Record], members: dict[str, list[int]]) -> int:
    hcode, r_eid = codes[2][:9], raion.get(codes[1][:6])
    h = hromada.get(hcode, {})
    hk = key(name) or ""
    named = [m for m in members.get(hcode, ()) if _name_match(hk, key(b.entries[m].name) or "") >= 1]
    centre = max(named, key=lambda m: b.entries[m].pop) if named else None
    lat, lon = (b.entries[centre].lat, b.entries[centre].lon) if centre is not None else (h.get("lat"), h.get("lon"))
    if lat is None:
        return 0
    en = h.get("name_en") or display(name)
    aliases = [f"{name} громада", f"{name} територіальна громада", f"{en} hromada", f"{en} community"]
    if h.get("name_ru"):
        aliases.append(f"{h['name_ru']} громада")
    iso = iso_of(codes[0])
    # the embedded default already has it (data/ua_units.tsv): one entry, both sources' names and points
    same = [e for e in reg.lookup(iso, "admin2", f"{name} громада") if b.entries[e].parent == r_eid]
    same = [e for e in same if SRC not in b.srcs[e]] or same  # two namesakes in one raion stay two
    if same:
        reg.merge(same[0], SRC, aliases, lat=lat, lon=lon)
        if h:
            b.srcs[same[0]].add("ocha")
        return 1
    a2 = b.entries[r_eid].name if r_eid is not None else None
    eid = reg.add("katottg", "admin2", f"{en} Hromada", "UA", iso, a2=a2, lat=lat, lon=lon,
                  city=b.entries[centre].name if centre is not None else None, parent=r_eid, aliases=aliases)
    if h:
        b.srcs[eid].add("ocha")
    return 1


def _city_district(b: _Builder, reg: Registry, name: str, city: int) -> int:
    ce = b.entries[city]
    hits = [d for d in reg.lookup(ce.a1, "city_district", name) if b.entries[d].parent == city]
    if hits:
        reg.merge(hits[0], SRC, [name, f"{name} район"])
        return 1
    shown = display(name)
    shown = shown[:-2] + "yi" if shown.endswith("yy") else shown
    reg.add(SRC, "city_district", f"{shown} District", "UA", ce.a1, a2=ce.a2, city=ce.name, pop=ce.pop // 10,
            parent=city, aliases=[name, f"{name} район"])
    return 1


def _raion_centres(b: _Builder, raion: dict[str, int], centroids: dict[int, tuple[float, float]]) -> None:
    """Centre each raion on the most populous town named after it; else keep a known centre; else OCHA."""
    towns: dict[int, list[int]] = defaultdict(list)
    for eid, e in enumerate(b.entries):
        if e.level == "city" and e.parent in centroids:
            towns[e.parent].append(eid)
    for r_eid in set(raion.values()):
        e = b.entries[r_eid]
        centroid = centroids[r_eid]
        stems = {s for n in b.names[r_eid] if (s := key(n))}
        named = [t for t in towns.get(r_eid, ()) if any(_name_match(s, key(b.entries[t].name) or "") >= 2
                                                         for s in stems)]
        if named:
            c = b.entries[max(named, key=lambda t: b.entries[t].pop)]
            e.lat, e.lon, e.city = c.lat, c.lon, c.name
        elif e.lat is None or e.lon is None or km(e.lat, e.lon, *centroid) > 80:
            e.lat, e.lon, e.city = centroid[0], centroid[1], None
        e.pop = max(e.pop, sum(b.entries[t].pop for t in towns.get(r_eid, ())))


def _nearest_raion(b: _Builder, reg: Registry, hromada: dict[str, files.Record], raion: dict[str, int]) -> int:
    grid: dict[tuple[int, int], list[tuple[float, float, int]]] = defaultdict(list)
    for code, h in hromada.items():
        if (r_eid := raion.get(code[:6])) is not None:
            grid[(math.floor(h["lat"] * 2), math.floor(h["lon"] * 2))].append((h["lat"], h["lon"], r_eid))
    n = 0
    for eid, e in enumerate(b.entries):
        if e.level != "city" or e.lat is None or e.lon is None or e.cc != "UA":
            continue
        if e.parent is not None and b.entries[e.parent].level == "admin2":
            continue
        gy, gx = math.floor(e.lat * 2), math.floor(e.lon * 2)
        near = [c for dy in (-1, 0, 1) for dx in (-1, 0, 1) for c in grid.get((gy + dy, gx + dx), ())]
        near = [c for c in near if b.entries[c[2]].a1 == e.a1]
        if near:
            d, r_eid = min((km(e.lat, e.lon, c[0], c[1]), c[2]) for c in near)
            if d <= 25:
                reg.set_parent(eid, r_eid)
                b.srcs[eid].add("nearest_hromada")
                n += 1
    return n

