"""The regions `region=` filters by: the admin-1 outlines (oblasts, krais, republics) of Russia,
Ukraine, Belarus and Moldova that the map draws, from the gateway's own basemap
(`web/data/basemap.geojson`, Natural Earth, simplified; see `web/data/build_basemap.py`), keyed by
their ISO 3166-2 codes.

They come from that shipped file rather than from the store on purpose: a filter by an outline
should select exactly what the map shows inside it, and the outlines are reference data of the
release, not something storage learns from reports. The databases get each outline as a query
parameter (PostGIS) or through a connection function (SQLite, `in_region_sql_function`); the live
stream tests the same outline in memory. A point on the outline counts as inside it (GEOS's
intersects, the same in PostGIS and shapely). The file is read on first use, not at import or start.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

BASEMAP = Path(__file__).resolve().parent / "web" / "data" / "basemap.geojson"


@dataclass(frozen=True)
class Region:
    code: str  # ISO 3166-2, e.g. RU-BEL
    name: str
    outline: BaseGeometry = field(compare=False, repr=False)  # lon/lat, valid, prepared
    wkb: bytes = field(compare=False, repr=False)  # the outline for PostGIS

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """min_lon, min_lat, max_lon, max_lat"""
        min_lon, min_lat, max_lon, max_lat = self.outline.bounds
        return min_lon, min_lat, max_lon, max_lat

    def covers(self, lon: float, lat: float) -> bool:
        return bool(shapely.intersects_xy(self.outline, lon, lat))


class Regions:
    """The outlines of one basemap file by code; thread-safe, loaded once on first use."""

    def __init__(self, path: Path = BASEMAP) -> None:
        self.path = path
        self._by_code: dict[str, Region] | None = None
        self._lock = threading.Lock()

    def get(self, code: str) -> Region | None:
        return self._load().get(code)

    def codes(self) -> list[str]:
        return sorted(self._load())

    def _load(self) -> dict[str, Region]:
        with self._lock:
            if self._by_code is None:
                self._by_code = _read(self.path)
            return self._by_code


def _read(path: Path) -> dict[str, Region]:
    parts: dict[str, list[BaseGeometry]] = {}
    names: dict[str, str] = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        if props.get("level") != "admin1" or not props.get("code"):
            continue
        parts.setdefault(props["code"], []).append(shape(feature["geometry"]))
        names.setdefault(props["code"], props.get("name") or props["code"])
    out = {}
    for code, geoms in parts.items():
        # Simplifying the outlines made a few of them self-intersect; GEOS answers only for valid ones.
        outline = shapely.make_valid(shapely.union_all([shapely.make_valid(g) for g in geoms]))
        shapely.prepare(outline)
        out[code] = Region(code, names[code], outline, shapely.to_wkb(outline))
    return out


def in_region_sql_function(regions: Regions) -> Callable[[str | None, float | None, float | None], int | None]:
    """`dw_in_region(code, lon, lat)` for SQLite connections: 1 when the point lies in the region's
    outline, 0 when not, NULL without a point or for an unknown code."""

    def in_region(code: str | None, lon: float | None, lat: float | None) -> int | None:
        region = regions.get(code) if code is not None else None
        if region is None or lon is None or lat is None:
            return None
        return int(region.covers(lon, lat))

    return in_region
