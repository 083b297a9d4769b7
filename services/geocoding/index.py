"""Where the gazetteer index lives and how it gets there: built once from the embedded default
(plus GAZETTEER_EXTRA_SOURCES, if set) into a temporary file and moved into place atomically, so
several processes starting together never read a half-written index."""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from services.geocoding.gazetteer import build_index
from shared.config import GazetteerSettings

log = logging.getLogger(__name__)


def ensure_index(settings: GazetteerSettings, *, rebuild: bool = False) -> Path:
    path = settings.gazetteer_index_path
    if path.exists() and not rebuild:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    started = time.monotonic()
    log.info("building gazetteer index",
             extra={"path": str(path), "extra_sources": str(settings.gazetteer_extra_sources)})
    stats = build_index(tmp, extra_sources=settings.gazetteer_extra_sources,
                        progress=lambda step: log.info("gazetteer build: %s", step))
    os.replace(tmp, path)
    log.info("gazetteer index built", extra={"path": str(path), "seconds": round(time.monotonic() - started, 1),
                                             "stats": str(stats)})
    return path
