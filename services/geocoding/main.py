"""Geocoding's composition root: makes sure the gazetteer index exists, loads it once, runs."""
from __future__ import annotations

from services.geocoding.app import build_runner
from services.geocoding.gazetteer import Gazetteer, GazetteerGeocoder
from services.geocoding.index import ensure_index
from services.geocoding.settings import GeocodingSettings
from shared.service import run_worker, start_service


def main() -> None:
    settings = GeocodingSettings()
    start_service(settings)
    geocoder = GazetteerGeocoder(Gazetteer.load(ensure_index(settings)))
    run_worker(settings, lambda s: build_runner(s, geocoder=geocoder))
