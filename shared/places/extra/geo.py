"""Small geometry helpers for the index build: a polygon layer that answers "which polygons contain
this point" through shapely (GEOS) with an STRtree over the polygons, so a query tests only the few
whose bounding boxes hold the point, not all 2,500 districts. Holes are honoured; a MultiPolygon
contains the point if any part does; a point on an outline counts as inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

Ring = Sequence[tuple[float, float]]  # (lon, lat) points
K = TypeVar("K")  # what identifies a polygon


def _geometry(polys: Sequence[Sequence[Ring]]) -> BaseGeometry | None:
    """Polygons given as [outer ring, *holes] each, as one shapely geometry (None if empty). Not
    made valid: GEOS locates a point in an area by counting ring crossings, which answers for a
    self-intersecting ring as the even-odd rule does, and repairing 2,500 district outlines cost
    ten times the whole look-up."""
    parts = [Polygon(poly[0], poly[1:]) for poly in polys if poly and len(poly[0]) >= 3]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


class PolygonLayer(Generic[K]):
    """Polygons with an id each; `locate(lat, lon)` returns the ids of the polygons containing the
    point, in the order they were added. The tree is built on the first `locate` after an `add`."""

    def __init__(self) -> None:
        self.ids: list[K] = []
        self.geometries: list[BaseGeometry] = []
        self._tree: shapely.STRtree | None = None

    def add(self, ident: K, polys: Sequence[Sequence[Ring]]) -> None:
        geometry = _geometry(polys)
        if geometry is None:
            return
        self.ids.append(ident)
        self.geometries.append(geometry)
        self._tree = None

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, lat: float, lon: float) -> list[K]:
        if self._tree is None:
            self._tree = shapely.STRtree(self.geometries)
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        return [self.ids[k] for k in sorted(hits.tolist())]
