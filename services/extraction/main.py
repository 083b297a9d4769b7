"""Extraction's composition root: loads the NLP resources (and the gazetteer's names) once, then
runs the runner."""
from __future__ import annotations

import logging
import time

from services.extraction.app import build_runner
from services.extraction.nlp import Extractor, load_resources
from services.extraction.ports import RegionNames
from services.extraction.settings import ExtractionSettings
from shared.lang import Morph
from shared.places import Gazetteer, GazetteerGeocoder
from shared.places.indexfile import ensure_index
from shared.service import run_worker, start_service, stop_on_bad_data

log = logging.getLogger(__name__)


def build_extractor(settings: ExtractionSettings, places: Gazetteer | None = None,
                    morph: Morph | None = None) -> Extractor:
    """The extractor as the service runs it: lexicons and the decision model, the gazetteer's
    names, and a resolver over it for the decision stage's provisional locations."""
    started = time.monotonic()
    morph = morph or Morph()
    if places is None and settings.extraction_use_gazetteer:
        places = Gazetteer.load(ensure_index(settings), morph=morph)
    resolver = GazetteerGeocoder(places) if places is not None else None
    extractor = Extractor(load_resources(morph), places=places, resolver=resolver)
    log.info("extractor loaded", extra={"seconds": round(time.monotonic() - started, 2)})
    return extractor


def region_names(gazetteer: Gazetteer) -> RegionNames:
    """A region's name as the gazetteer gives it (English), which the extractor reads in any of
    its languages when it uses the gazetteer."""
    regions = GazetteerGeocoder(gazetteer)

    def name(code: str, language: str | None = None) -> str | None:
        loc = regions.region(code)
        return loc.name if loc is not None else None
    return name


def main() -> None:
    settings = ExtractionSettings()
    start_service(settings)
    with stop_on_bad_data():
        morph = Morph()
        places = Gazetteer.load(ensure_index(settings), morph=morph) if settings.extraction_use_gazetteer else None
        extractor = build_extractor(settings, places, morph)
    names = region_names(places) if places is not None else None
    run_worker(settings, lambda s: build_runner(s, extractor=extractor, region_names=names))
