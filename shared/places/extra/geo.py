"""Small geometry helpers for the index build, in pure Python (no shapely): a polygon layer that answers
"which polygon contains this point" with even-odd ray casting, after a
one-degree grid lookup and a bounding-box prefilter (so a query tests a handful of polygons, not all
2,500 districts). Holes are honoured; a MultiPolygon contains the point if any part does.
"""

from __future__ import annotations

import math
from collections import defaultdict


def _in_ring(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def in_polygons(lon: float, lat: float, polys: list[list[list[tuple[float, float]]]]) -> bool:
    for poly in polys:
        if poly and _in_ring(lon, lat, poly[0]) and not any(_in_ring(lon, lat, h) for h in poly[1:]):
            return True
    return False


class PolygonLayer:
    """Polygons with an id each; `locate(lat, lon)` returns the ids of the polygons containing the point."""

    def __init__(self) -> None:
        self.items: list[tuple[object, tuple[float, float, float, float], list]] = []
        self.grid: dict[tuple[int, int], list[int]] = defaultdict(list)

    def add(self, ident: object, polys: list) -> None:
        pts = [p for poly in polys for p in poly[0]] if polys else []
        if not pts:
            return
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        bbox = (min(xs), min(ys), max(xs), max(ys))
        k = len(self.items)
        self.items.append((ident, bbox, polys))
        for gx in range(math.floor(bbox[0]), math.floor(bbox[2]) + 1):
            for gy in range(math.floor(bbox[1]), math.floor(bbox[3]) + 1):
                self.grid[(gx, gy)].append(k)

    def __len__(self) -> int:
        return len(self.items)

    def locate(self, lat: float, lon: float) -> list[object]:
        out = []
        for k in self.grid.get((math.floor(lon), math.floor(lat)), ()):
            ident, (x0, y0, x1, y1), polys = self.items[k]
            if x0 <= lon <= x1 and y0 <= lat <= y1 and in_polygons(lon, lat, polys):
                out.append(ident)
        return out
