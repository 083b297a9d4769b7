"""Russian national sources: regions (HFLabs region table, joined to ISO codes), towns (HFLabs city table,
with raion-centre markers), all 155k settlements (settlements_ru: region, municipality, population,
coordinates), and OSM municipal districts (index: centroids and bounding boxes; GeoJSON: polygons).
Each municipality is matched to an existing admin2 entry by name key inside its region (or becomes a new
one); its administrative centre is the HFLabs raion centre, else the most populous town named after the
district (the municipality's own or, for a district centred on a separate urban okrug, one inside the
district's OSM bounding box), else the municipality's most populous settlement that lies inside the
district's box; districts without settlements fall back to the OSM centroid. Towns that still lack a
district get one by point-in-polygon. The files come by kind (`RussiaFiles`): found in a folder of richer
sources, or shipped inside a PyPI package (`packaged`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from ..build import _Builder, _name_match
from . import files
from .geo import PolygonLayer
from .merge import Registry, display, district_display, key

BOX_MARGIN = 0.05  # degrees around an OSM district box when checking that a centre lies in it


@dataclass
class RussiaFiles:
    """The Russian source files of one build, by kind; any kind may be empty. `packaged` names the PyPI
    package each packaged file came from, for progress lines and the index's list of sources."""

    regions: list[Path] = field(default_factory=list)
    towns: list[Path] = field(default_factory=list)
    settlements: list[Path] = field(default_factory=list)
    district_index: list[Path] = field(default_factory=list)
    district_shapes: list[Path] = field(default_factory=list)
    packaged: dict[Path, str] = field(default_factory=dict)

    @classmethod
    def in_folder(cls, folder: Path) -> RussiaFiles:
        return cls(
            regions=files.find(folder, "hflabs_region*.csv"),
            towns=files.find(folder, "hflabs_city*.csv"),
            settlements=files.find(folder, "settlements_ru*.csv*"),
            district_index=files.find(folder, "osm_municipal_districts_ru*.index.tsv"),
            district_shapes=files.find(folder, "osm_municipal_districts_ru*.geojson*"),
        )

    def or_else(self, other: RussiaFiles | None) -> RussiaFiles:
        """These files, with each kind this set lacks taken from `other` (a folder's files win)."""
        if other is None:
            return self
        kinds = {f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self) if f.name != "packaged"}
        return RussiaFiles(**kinds, packaged={**other.packaged, **self.packaged})

    def label(self, path: Path, what: str) -> str:
        where = f"; {self.packaged[path]}" if path in self.packaged else ""
        return f"{path.name} ({what}{where})"


class RegionNames:
    """Cyrillic/English region name -> ISO 3166-2 code (admin1 names of the index + region tables)."""

    def __init__(self, b: _Builder, a1_eid: dict[str, int], tables: list[Path]) -> None:
        self.table: dict[str, str] = {}
        for iso, eid in a1_eid.items():
            for n in b.names[eid]:
                if (k := key(n)) and k not in self.table:
                    self.table[k] = iso
        self.used = False
        for p in tables:
            self.used = True
            for row in files.table(p):
                for nm in (row.get("name"), row.get("name_with_type"), row.get("geoname_name"), row.get("short_name")):
                    if nm and (k := key(nm)) and row.get("iso_code"):
                        self.table[k] = row["iso_code"]

    def iso(self, name: str) -> str | None:
        k = key(name or "")
        if not k:
            return None
        return self.table.get(k) or self.table.get(k.split()[0] if " " in k else "")


def _in_box(box: tuple[float, ...] | None, lat: float | None, lon: float | None) -> bool:
    """(lat, lon) lies in the box (with a margin); anything does when there is no box, a place
    without coordinates never does when there is one."""
    return box is None or (
        lat is not None and lon is not None
        and box[0] - BOX_MARGIN <= lat <= box[2] + BOX_MARGIN and box[1] - BOX_MARGIN <= lon <= box[3] + BOX_MARGIN
    )


def load(b: _Builder, reg: Registry, ctx: dict[str, Any], src: RussiaFiles, say: Callable[[str], None]) -> list[str]:
    used: list[str] = []
    regions = RegionNames(b, ctx["a1_eid"], src.regions)
    used += [src.label(p, "region table with ISO codes") for p in src.regions]
    districts = _Districts(b, reg, ctx["a1_eid"])
    # OSM district index: boxes and centroids (Regions layer), city districts (Cities layer)
    box, centroid, osm_eid = _osm_district_index(b, reg, src, regions, districts, used, say)
    # HFLabs towns: merge with GeoNames towns, remember raion centres
    raion_centre = _hflabs_towns(reg, ctx, src, regions, used, say)
    # settlements: every village, its municipality and population
    members, towns = _settlements(b, reg, ctx, src, regions, districts, used, say)
    # administrative centres of districts
    _district_centres(b, members, towns, raion_centre, box, centroid, say)
    # point-in-polygon: towns without a district
    _point_in_polygon(b, reg, src, osm_eid, used, say)
    return used


class _Districts:
    """The admin2 entries of municipalities, looked up (or added) once per (region, municipality)."""

    def __init__(self, b: _Builder, reg: Registry, a1_eid: dict[str, int]):
        self.b, self.reg, self.a1_eid = b, reg, a1_eid
        self.a2_of: dict[tuple[str, str], list[int]] = {}
        self.n_new = 0  # districts added

    def admin2s(self, iso: str, muni: str, source: str) -> list[int]:
        """Every admin2 entry of the region named like the municipality (GeoNames keeps some twice)."""
        ck = (iso, muni)
        if ck in self.a2_of:
            return self.a2_of[ck]
        hits = self.reg.lookup(iso, "admin2", muni)
        m = re.match(r"(?i)^\s*(город|г\.?)\s+(.+)$", muni)
        if not hits and m:
            hits = self.reg.lookup(iso, "admin2", m.group(2))
        for eid in hits:
            self.reg.merge(eid, source, [muni])
        if not hits:
            a1e = self.a1_eid.get(iso)
            name = district_display(muni, "RU")
            cyr = muni if m or re.search(r"(?i)район|округ", muni) else f"{muni} район"
            cc = self.b.entries[a1e].cc if a1e is not None else "RU"
            hits = [self.reg.add(source, "admin2", name, cc, iso, a2=name, parent=a1e, aliases=[muni, cyr])]
            self.n_new += 1
        self.a2_of[ck] = hits
        return hits


def _osm_district_index(b: _Builder, reg: Registry, src: RussiaFiles, regions: RegionNames, districts: _Districts,
                        used: list[str], say: Callable[[str], None],
                        ) -> tuple[dict[int, tuple[float, ...]], dict[int, tuple[float, float]],
                                   dict[tuple[str | None, str | None], int]]:
    """The OSM district index: each district's box and centroid, the city districts added."""
    box: dict[int, tuple[float, ...]] = {}
    centroid: dict[int, tuple[float, float]] = {}
    osm_eid: dict[tuple[str | None, str | None], int] = {}
    eid: int | None
    n_osm = n_cd = 0
    for p in src.district_index:
        used.append(src.label(p, "OSM, ODbL"))
        for row in files.table(p):
            lat, lon = float(row["centroid_lat"]), float(row["centroid_lon"])
            bb = tuple(float(row[c]) for c in ("min_lat", "min_lon", "max_lat", "max_lon"))
            if row["layer"] == "Cities":
                n_cd += _city_district(b, reg, row, lat, lon)
                continue
            iso = regions.iso(row["region_ru"])
            if not iso:
                continue
            eids = districts.admin2s(iso, row["district"], "osm_districts")
            osm_eid[(row["region_ru"], row["district"])] = eids[0]
            for eid in eids:
                box[eid] = bb
                centroid[eid] = (lat, lon)
            n_osm += 1
        say(f"{p.name}: {n_osm} districts, {n_cd} city districts")
    return box, centroid, osm_eid


def _hflabs_towns(reg: Registry, ctx: dict[str, Any], src: RussiaFiles, regions: RegionNames, used: list[str],
                  say: Callable[[str], None]) -> dict[tuple[str | None, str], int]:
    """HFLabs towns merged with known towns (or added); returns the marked raion centres."""
    raion_centre: dict[tuple[str | None, str], int] = {}
    for p in src.towns:
        used.append(src.label(p, "HFLabs city.csv, CC BY-SA 4.0"))
        n = 0
        for row in files.table(p):
            iso = regions.iso(row["region"]) or regions.iso(f"{row['region']} {row['region_type']}")
            name = row["city"] or row["settlement"]
            if not iso or not name or not row["geo_lat"]:
                continue
            lat, lon = float(row["geo_lat"]), float(row["geo_lon"])
            pop = int(float(row["population"] or 0))
            eid = reg.near(iso, "city", [name], lat, lon, 15.0)
            if eid is None:
                eid = reg.add("hflabs_city", "city", display(name), "RU" if iso.startswith("RU") else "UA", iso,
                              city=display(name), lat=lat, lon=lon, pop=pop, parent=ctx["a1_eid"].get(iso),
                              aliases=[name])
            else:
                reg.merge(eid, "hflabs_city", [name], pop=pop)
            if row["area"] and row["capital_marker"] in ("1", "3"):
                raion_centre[(iso, key(row["area"]) or "")] = eid
            n += 1
        say(f"{p.name}: {n} towns, {len(raion_centre)} marked raion centres")
    return raion_centre


def _settlements(b: _Builder, reg: Registry, ctx: dict[str, Any], src: RussiaFiles, regions: RegionNames,
                 districts: _Districts, used: list[str], say: Callable[[str], None],
                 ) -> tuple[dict[int, list[int]], dict[str, list[int]]]:
    """Every village with its municipality and population; returns each district's members and each
    region's towns of 1000 people or more."""
    members: dict[int, list[int]] = defaultdict(list)
    towns: dict[str, list[int]] = defaultdict(list)
    for p in src.settlements:
        used.append(src.label(p, "settlements, licence unclear"))
        n_new = n_merged = 0
        for row in files.table(p):
            iso = regions.iso(row["region"])
            if not iso or not row["latitude_dd"] or not row["settlement"]:
                continue
            lat, lon = float(row["latitude_dd"]), float(row["longitude_dd"])
            pop = int(row["population"] or 0)
            a2s = districts.admin2s(iso, row["municipality"], "settlements_ru") if row["municipality"] else []
            a2 = a2s[0] if a2s else None
            name = row["settlement"]
            eid = reg.near(iso, "city", [name], lat, lon, 12.0, skip_source="settlements_ru")
            if eid is None:
                shown = display(name)
                eid = reg.add("settlements_ru", "city", shown, "UA" if iso.startswith("UA") else "RU", iso,
                              city=shown, lat=lat, lon=lon, pop=pop, parent=ctx["a1_eid"].get(iso), aliases=[name])
                n_new += 1
            else:
                reg.merge(eid, "settlements_ru", [name], pop=pop)
                n_merged += 1
            e = b.entries[eid]
            if a2 is not None:
                if e.parent is None or b.entries[e.parent].level != "admin2":
                    reg.set_parent(eid, a2)
                for a in a2s:
                    members[a].append(eid)
            if e.pop >= 1000:
                towns[iso].append(eid)
        say(f"{p.name}: {n_new} new settlements, {n_merged} merged with known towns, {districts.n_new} new districts")
    return members, towns


def _district_centres(b: _Builder, members: dict[int, list[int]], towns: dict[str, list[int]],
                      raion_centre: dict[tuple[str | None, str], int], box: dict[int, tuple[float, ...]],
                      centroid: dict[int, tuple[float, float]], say: Callable[[str], None]) -> None:
    """Districts located at their administrative centre, else their OSM centroid, else by name."""
    n_centre = 0
    for a2, mem in members.items():
        pick = _centre(b, a2, mem, towns, raion_centre, box.get(a2))
        if pick is not None:
            c = b.entries[pick]
            unit = b.entries[a2]
            unit.lat, unit.lon, unit.city = c.lat, c.lon, c.name
            unit.pop = max(unit.pop, sum(b.entries[m].pop for m in mem))
            b.srcs[a2].add("settlements_ru")
            n_centre += 1
            if b.srcs[a2] <= {"settlements_ru", "osm_districts"} and key(c.name) == key(unit.name):
                # a municipality named exactly like its town ('Жуковский') is the town's urban okrug
                unit.name = unit.a2 = f"{c.name} Urban Okrug"
                for m in mem:
                    if b.entries[m].parent == a2:
                        b.entries[m].a2 = unit.name
    n_osm_c = 0
    for eid, (lat, lon) in centroid.items():  # districts without settlements: OSM centroid
        if b.entries[eid].lat is None:
            b.entries[eid].lat, b.entries[eid].lon = lat, lon
            n_osm_c += 1
    if members or centroid:
        n_fill = _fill_missing(b, towns)
        say(f"district centres from settlements: {n_centre}; OSM centroids: {n_osm_c}; by name: {n_fill}")


def _point_in_polygon(b: _Builder, reg: Registry, src: RussiaFiles, osm_eid: dict[tuple[str | None, str | None], int],
                      used: list[str], say: Callable[[str], None]) -> None:
    """Towns without a district get the OSM district polygon they lie in."""
    for p in src.district_shapes:
        used.append(src.label(p, "OSM, ODbL"))
        layer: PolygonLayer[int] = PolygonLayer()
        for f in files.geojson_features(p):
            pr: files.Record = f.get("properties") or {}
            eid = osm_eid.get((pr.get("region_ru"), pr.get("district")))
            if eid is not None and pr.get("source_layer") != "Cities":
                layer.add(eid, files.rings(f.get("geometry")))
        n_pip = 0
        for eid, e in enumerate(b.entries):
            if e.level != "city" or e.lat is None or e.lon is None or (e.a1 or "")[:3] != "RU-":
                continue
            if e.parent is not None and b.entries[e.parent].level == "admin2":
                continue
            hit = [d for d in layer.locate(e.lat, e.lon) if b.entries[d].a1 == e.a1]
            if hit:
                reg.set_parent(eid, hit[0])
                b.srcs[eid].add("osm_pip")
                n_pip += 1
        say(f"{p.name}: {len(layer)} polygons, {n_pip} towns given a district by point-in-polygon")


def _centre(b: _Builder, a2: int, mem: list[int], towns: dict[str, list[int]],
            raion_centre: dict[tuple[str | None, str], int], bb: tuple[float, ...] | None) -> int | None:
    e = b.entries[a2]
    k = key(e.name) or ""
    rc = raion_centre.get((e.a1, k))
    if rc is None:
        for n in b.names[a2]:
            if (rc := raion_centre.get((e.a1, key(n) or ""))) is not None:
                break
    if rc is not None and _in_box(bb, b.entries[rc].lat, b.entries[rc].lon):
        return rc
    stems = {s for n in b.names[a2] if (s := key(n))}
    region_towns = towns.get(e.a1, []) if e.a1 else []
    near = [t for t in region_towns if bb is not None and _in_box(bb, b.entries[t].lat, b.entries[t].lon)]
    pool = set(mem) | set(near)
    named = [c for c in pool if any(_name_match(s, key(b.entries[c].name) or "") >= 2 for s in stems)]
    named = [c for c in named if _in_box(bb, b.entries[c].lat, b.entries[c].lon)]
    if named:
        return max(named, key=lambda c: b.entries[c].pop)
    ranked = sorted(mem, key=lambda c: -b.entries[c].pop)
    for c in ranked:
        if _in_box(bb, b.entries[c].lat, b.entries[c].lon):
            return c
    return None if bb is not None else (ranked[0] if ranked else None)


def _city_district(b: _Builder, reg: Registry, row: files.Record, lat: float, lon: float) -> int:
    """An OSM city district (Moscow, St Petersburg, Kazan, Sevastopol) under its city."""
    cities = reg.anywhere("city", row["region_ru"])
    if not cities:
        return 0
    c = max(cities, key=lambda i: b.entries[i].pop)
    ce = b.entries[c]
    hits = [d for d in reg.lookup(ce.a1, "city_district", row["district"]) if b.entries[d].parent == c]
    if hits:
        reg.merge(hits[0], "osm_districts", [row["district"]], lat=lat, lon=lon)
        return 1
    name = district_display(row["district"], "RU")
    reg.add("osm_districts", "city_district", name, ce.cc, ce.a1, a2=ce.a2, city=ce.name, lat=lat, lon=lon,
            pop=ce.pop // 50, parent=c, aliases=[row["district"]])
    return 1


def _fill_missing(b: _Builder, towns: dict[str, list[int]]) -> int:
    """Russian districts still without coordinates ('Allaikhovsky Ulus', duplicates with other suffixes):
    take a located district of the region sharing the first name word, else the town named after it."""
    first: dict[tuple[str | None, str], int] = {}
    todo = []
    for eid, e in enumerate(b.entries):
        if e.level != "admin2" or not (e.a1 or "").startswith("RU-"):
            continue
        if e.lat is None:
            todo.append(eid)
            continue
        for nm in b.names[eid]:
            if k := key(nm):
                first.setdefault((e.a1, k.split()[0]), eid)
    n = 0
    for eid in todo:
        e = b.entries[eid]
        ks = [k.split()[0] for nm in b.names[eid] if (k := key(nm))]
        region_towns = towns.get(e.a1, []) if e.a1 else []
        src = next((first[(e.a1, k)] for k in ks if (e.a1, k) in first), None)
        if src is None:  # spelling variants ('Belyovsky' ~ 'Белёвский'): close first words in the region
            src = _close_first_word(e.a1, ks, first)
        if src is None:
            src = _town_of_name(b, eid, ks, region_towns)
        if src is not None:
            c = b.entries[src]
            e.lat, e.lon, e.city = c.lat, c.lon, c.city if c.level == "admin2" else c.name
            n += 1
    return n


def _close_first_word(a1: str | None, ks: list[str], first: dict[tuple[str | None, str], int]) -> int | None:
    """A located district of region `a1` whose first name word is spelt close to one of `ks`."""
    pool = {k2: v for (r1, k2), v in first.items() if r1 == a1}
    for k in ks:
        hit = process.extractOne(k, list(pool), scorer=fuzz.ratio, score_cutoff=85) if len(k) >= 5 else None
        if hit:
            return pool[hit[0]]
    return None


def _town_of_name(b: _Builder, eid: int, ks: list[str], region_towns: list[int]) -> int | None:
    """The largest town of the region named by a word of the district's name ('Gorodskoye Poseleniye
    Baymak'), else the largest whose name matches a first name word."""
    words = {w for nm in b.names[eid] if (k := key(nm)) for w in k.split() if len(w) >= 4}
    named = [t for t in region_towns if (key(b.entries[t].name) or "") in words]
    src = max(named, key=lambda t: b.entries[t].pop) if named else None
    if src is None:
        named = [t for t in region_towns if any(_name_match(k, key(b.entries[t].name) or "") >= 2 for k in ks)]
        src = max(named, key=lambda t: b.entries[t].pop) if named else None
    return src
