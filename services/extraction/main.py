"""Extraction's composition root: loads the NLP resources (and the gazetteer's names) once, then
runs the runner."""
from __future__ import annotations

import logging
import time

from services.extraction.app import build_runner
from services.extraction.nlp import Extractor, load_resources
from services.extraction.settings import ExtractionSettings
from services.geocoding.gazetteer import Gazetteer
from services.geocoding.index import ensure_index
from shared.service import run_worker, start_service, stop_on_bad_data

log = logging.getLogger(__name__)


def build_extractor(settings: ExtractionSettings) -> Extractor:
    started = time.monotonic()
    places = Gazetteer.load(ensure_index(settings)) if settings.extraction_use_gazetteer else None
    extractor = Extractor(load_resources(), places=places)
    log.info("extractor loaded", extra={"seconds": round(time.monotonic() - started, 2)})
    return extractor


def main() -> None:
    settings = ExtractionSettings()
    start_service(settings)
    with stop_on_bad_data():
        extractor = build_extractor(settings)
    run_worker(settings, lambda s: build_runner(s, extractor=extractor))
