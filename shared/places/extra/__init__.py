"""Importers for the richer gazetteer sources named by GAZETTEER_EXTRA_SOURCES: a folder laid out like
`shared/data/gazetteer/` (GeoNames files, OSM district/oblast boundaries, Russian and Ukrainian national
classifiers), and for the Russian tables that ship inside a PyPI package (`packaged`), which the embedded
default reads too. Each importer recognises its files by name, skips what is absent, merges what it reads
into the entries of the embedded default (one entry per place, every name kept, each entry's sources
recorded) and reports one progress line per source. Order matters: GeoNames first (ids and names), then
Russia (districts, centres, villages, point-in-polygon), then Ukraine (raions, hromadas, villages).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..build import _Builder
from . import geonames, russia, ukraine
from .merge import Registry
from .russia import RussiaFiles


def apply(folder: Path | None, b: _Builder, ctx: dict[str, Any], packaged: RussiaFiles | None = None) -> list[str]:
    """Merge every recognised source under `folder` (None: no folder; `build_index` has checked that it
    is one) and the `packaged` Russian tables into builder `b`; a folder's file of a kind replaces the
    packaged one. Returns the sources used."""
    steps: list[tuple[str, Callable[[Registry], list[str]]]]
    if folder is None:
        ru = packaged or RussiaFiles()
        steps = [("Russia", lambda reg: russia.load(b, reg, ctx, ru, b.say))]
    else:
        folder = Path(folder)
        ru = RussiaFiles.in_folder(folder).or_else(packaged)
        steps = [("GeoNames", lambda reg: geonames.load(b, reg, ctx, folder, b.say)),
                 ("Russia", lambda reg: russia.load(b, reg, ctx, ru, b.say)),
                 ("Ukraine", lambda reg: ukraine.load(b, reg, ctx, folder, b.say))]
    reg = Registry(b)
    used: list[str] = []
    for name, step in steps:
        t0 = time.perf_counter()
        n0 = len(b.entries)
        got = step(reg)
        used += got
        if got:
            b.say(f"{name}: {len(got)} files, +{len(b.entries) - n0} entries in {time.perf_counter() - t0:.1f} s")
        elif folder is not None:
            b.say(f"{name}: no files found, skipped")
    return used
