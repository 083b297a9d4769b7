"""Wires geocoding's handler to the geocoder and the runner."""
from __future__ import annotations

from functools import partial

from services.geocoding.handlers import handle_places_extracted, handle_places_extracted_many
from services.geocoding.ports import Geocoder
from services.geocoding.settings import GeocodingSettings
from shared.kafka.runner import Runner, Subscription
from shared.topics import ARTICLES_EXTRACTED


def build_runner(settings: GeocodingSettings, *, geocoder: Geocoder) -> Runner:
    sub = Subscription(ARTICLES_EXTRACTED, partial(handle_places_extracted, geocoder=geocoder),
                       batch_handler=partial(handle_places_extracted_many, geocoder=geocoder))
    return Runner(settings, "geocoding", [sub])
