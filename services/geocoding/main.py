"""Geocoding's composition root: makes sure the gazetteer index exists, loads it once, wraps it with
the optional Nominatim street look-up (GEOCODING_NOMINATIM_URL), runs."""
from __future__ import annotations

from services.geocoding.app import build_runner
from services.geocoding.ports import Geocoder
from services.geocoding.settings import GeocodingSettings
from shared.lang import Morph
from shared.places import Gazetteer, GazetteerGeocoder
from shared.places.indexfile import ensure_index
from shared.service import run_worker, start_service, stop_on_bad_data


def build_geocoder(settings: GeocodingSettings, gazetteer: Gazetteer) -> Geocoder:
    """The gazetteer alone, or wrapped with the street look-up when a search service is configured."""
    geocoder: Geocoder = GazetteerGeocoder(gazetteer)
    if not settings.geocoding_nominatim_url:
        return geocoder
    from services.geocoding.adapters.nominatim import NominatimStreetGeocoder
    from services.geocoding.adapters.nominatim_http import NominatimClient

    client = NominatimClient(
        settings.geocoding_nominatim_url, timeout_s=settings.geocoding_nominatim_timeout_s,
        retries=settings.geocoding_nominatim_retries, rate_per_s=settings.geocoding_nominatim_rate_per_s,
        user_agent=settings.geocoding_nominatim_user_agent, cache_size=settings.geocoding_nominatim_cache_size)
    return NominatimStreetGeocoder(geocoder, client, budget_s=settings.geocoding_nominatim_budget_s)


def main() -> None:
    settings = GeocodingSettings()
    start_service(settings)
    with stop_on_bad_data():
        geocoder = build_geocoder(settings, Gazetteer.load(ensure_index(settings), morph=Morph()))
    run_worker(settings, lambda s: build_runner(s, geocoder=geocoder))
