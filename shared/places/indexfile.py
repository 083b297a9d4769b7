"""Where the gazetteer index lives and how it gets there: built once from the embedded default
(plus GAZETTEER_EXTRA_SOURCES, if set) into a temporary file and moved into place atomically, so
several processes starting together never read a half-written index. A small JSON file beside the
index records what it was built from (its format, the extra sources and a digest of our own tables);
when they differ, the index is rebuilt instead of silently serving the old one."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from shared.config import GazetteerSettings
from shared.places import build_index
from shared.places.extra.packaged import version as packaged_version

log = logging.getLogger(__name__)
FORMAT = 1  # bump when the index layout changes


DATA_DIR = Path(__file__).parent / "data"


def _data_digest() -> str:
    """A digest of our own tables (gazetteer/data/*.tsv): editing them rebuilds the index."""
    h = hashlib.sha256()
    for f in sorted(DATA_DIR.glob("*.tsv")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _wanted(settings: GazetteerSettings) -> dict[str, object]:
    extra = settings.gazetteer_extra_sources
    packaged = packaged_version() if settings.gazetteer_use_settlement_package else None
    return {"format": FORMAT, "extra_sources": str(extra.resolve()) if extra else None, "data": _data_digest(),
            "settlement_package": packaged}


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def ensure_index(settings: GazetteerSettings, *, rebuild: bool = False) -> Path:
    """The index path, built first if it is missing, was built from other sources, or `rebuild`."""
    path = settings.gazetteer_index_path
    wanted = _wanted(settings)
    meta = _meta_path(path)
    if path.exists() and not rebuild:
        try:
            built_from = json.loads(meta.read_text())
        except (OSError, ValueError):
            built_from = None
        if built_from == wanted:
            return path
        log.info("gazetteer index was built from other sources; rebuilding",
                 extra={"path": str(path), "built_from": built_from, "wanted": wanted})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    started = time.monotonic()
    log.info("building gazetteer index",
             extra={"path": str(path), "extra_sources": str(settings.gazetteer_extra_sources)})
    stats = build_index(tmp, extra_sources=settings.gazetteer_extra_sources,
                        packaged=settings.gazetteer_use_settlement_package,
                        progress=lambda step: log.info("gazetteer build: %s", step))
    os.replace(tmp, path)
    tmp_meta = meta.with_name(f"{meta.name}.{os.getpid()}.tmp")
    tmp_meta.write_text(json.dumps(wanted))
    os.replace(tmp_meta, meta)
    log.info("gazetteer index built", extra={"path": str(path), "seconds": round(time.monotonic() - started, 1),
                                             "stats": str(stats)})
    return path
