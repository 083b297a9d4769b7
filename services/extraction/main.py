"""Extraction's composition root: loads the NLP resources (and the gazetteer's names) once, then
runs the runner."""
from __future__ import annotations

import logging
import time

from services.extraction.app import build_runner
from services.extraction.nlp import Extractor, load_resources
from services.extraction.settings import ExtractionSettings
from shared.lang import Morph
from shared.places import Gazetteer, GazetteerGeocoder
from shared.places.indexfile import ensure_index
from shared.service import run_worker, start_service

log = logging.getLogger(__name__)


def build_extractor(settings: ExtractionSettings) -> Extractor:
    started = time.monotonic()
    morph = Morph()
    places = Gazetteer.load(ensure_index(settings), morph=morph) if settings.extraction_use_gazetteer else None
    resolver = GazetteerGeocoder(places) if places is not None else None
    extractor = Extractor(load_resources(morph), places=places, resolver=resolver)
    log.info("extractor loaded", extra={"seconds": round(time.monotonic() - started, 2)})
    return extractor


def main() -> None:
    settings = ExtractionSettings()
    start_service(settings)
    extractor = build_extractor(settings)
    run_worker(settings, lambda s: build_runner(s, extractor=extractor))
