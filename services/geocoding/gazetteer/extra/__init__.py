"""Importers for the richer gazetteer sources named by GAZETTEER_EXTRA_SOURCES: a folder laid out like
`shared/data/gazetteer/` (GeoNames files, OSM district/oblast boundaries, Russian and Ukrainian national
classifiers). Each importer recognises its files by name, skips what is absent, merges what it reads into
the entries of the embedded default (one entry per place, every name kept, each entry's sources recorded)
and reports one progress line per source. Order matters: GeoNames first (ids and names), then Russia
(districts, centres, villages, point-in-polygon), then Ukraine (raions, hromadas, villages).
"""

from __future__ import annotations

import time
from pathlib import Path

from . import geonames, russia, ukraine
from .merge import Registry


def apply(folder: Path, b, ctx: dict) -> list[str]:
    """Merge every recognised source under `folder` into builder `b`; returns the sources used."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"GAZETTEER_EXTRA_SOURCES is not a folder: {folder}")
    reg = Registry(b)
    used: list[str] = []
    for name, mod in (("GeoNames", geonames), ("Russia", russia), ("Ukraine", ukraine)):
        t0 = time.perf_counter()
        n0 = len(b.entries)
        got = mod.load(b, reg, ctx, folder, b.say)
        used += got
        if got:
            b.say(f"{name}: {len(got)} files, +{len(b.entries) - n0} entries in {time.perf_counter() - t0:.1f} s")
        else:
            b.say(f"{name}: no files found, skipped")
    return used
