"""Readers for the richer gazetteer sources in their published layouts: GeoNames 19-column place files
(cities500 extracts and full country dumps), admin1/admin2 code files and postal-code dumps; CSV/TSV
tables, optionally gzip-compressed (settlements_ru, HFLabs, KATOTTG, OCHA, the OSM district index); and
GeoJSON polygons. Files are recognised by name pattern (`find`), so a folder may hold any subset; every
reader streams rows as plain dicts or tuples and never downloads anything.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Record = dict[str, Any]  # one row or feature as read

GEONAMES_COLS = (
    "geonameid name asciiname alternatenames latitude longitude feature_class feature_code country_code cc2 "
    "admin1 admin2 admin3 admin4 population elevation dem timezone modified"
).split()
POSTAL_COLS = (
    "country_code postal_code place_name admin_name1 admin_code1 admin_name2 admin_code2 admin_name3 "
    "admin_code3 latitude longitude accuracy"
).split()

csv.field_size_limit(10**8)


def open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def find(folder: Path, *patterns: str) -> list[Path]:
    """Files under `folder` (recursively) whose name matches any glob pattern, in a stable order."""
    seen: dict[Path, None] = {}
    for pat in patterns:
        for p in sorted(folder.rglob(pat)):
            if p.is_file():
                seen.setdefault(p, None)
    return list(seen)


def _fl(v: str | None) -> float | None:
    try:
        return float(v) if v not in ("", None) else None
    except ValueError:
        return None


def geonames_places(path: Path) -> Iterator[Record]:
    """Rows of a GeoNames place file (cities500*.txt, RU.txt ...); tolerates missing trailing columns."""
    with open_text(path) as fh:
        for line in fh:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) < 15 or not parts[0].isdigit():
                continue
            row: Record = dict(zip(GEONAMES_COLS, parts + [""] * (19 - len(parts)), strict=False))
            row["lat"], row["lon"] = _fl(row["latitude"]), _fl(row["longitude"])
            row["pop"] = int(row["population"] or 0) if row["population"].isdigit() else 0
            row["alt"] = [a for a in row["alternatenames"].split(",") if a]
            yield row


def admin_codes(path: Path) -> Iterator[Record]:
    """admin1CodesASCII / admin2Codes layout: code, name, asciiname, geonameid."""
    with open_text(path) as fh:
        for line in fh:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) >= 4 and "." in parts[0]:
                yield {"code": parts[0], "name": parts[1], "asciiname": parts[2], "gid": int(parts[3] or 0)}


def postal(path: Path) -> Iterator[Record]:
    """GeoNames postal-code dump rows (12 columns)."""
    with open_text(path) as fh:
        for line in fh:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) < 11:
                continue
            row: Record = dict(zip(POSTAL_COLS, parts + [""] * (12 - len(parts)), strict=False))
            row["lat"], row["lon"] = _fl(row["latitude"]), _fl(row["longitude"])
            if row["lat"] is not None:
                yield row


def table(path: Path, delimiter: str | None = None) -> Iterator[Record]:
    """A CSV (comma) or TSV (tab) table with a header row; the delimiter is guessed from the name."""
    if delimiter is None:
        delimiter = "\t" if re.search(r"\.tsv(\.gz)?$", path.name) else ","
    with open_text(path) as fh:
        yield from csv.DictReader(fh, delimiter=delimiter)


def geojson_features(path: Path) -> list[Record]:
    with open_text(path) as fh:
        features: list[Record] = json.load(fh).get("features", [])
    return features


def rings(geometry: Record | None) -> list[list[list[tuple[float, float]]]]:
    """Polygon/MultiPolygon -> list of polygons, each a list of rings of (lon, lat)."""
    if not geometry:
        return []
    t, coords = geometry.get("type"), geometry.get("coordinates") or []
    polys = [coords] if t == "Polygon" else coords if t == "MultiPolygon" else []
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in poly] for poly in polys]
