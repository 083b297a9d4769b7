"""Wires storage's handlers to the store and the runner."""
from __future__ import annotations

from functools import partial

from services.storage.adapters.sql import SqlIncidentStore, make_engine
from services.storage.handlers import (
    handle_article_received,
    handle_articles_received,
    handle_dead_letter,
    handle_events_geocoded,
    handle_events_geocoded_many,
    handle_incident_updated,
    handle_incidents_updated,
)
from services.storage.ports import IncidentStore
from services.storage.settings import StorageSettings
from shared.kafka.runner import Runner, Subscription
from shared.topics import ARTICLES_RECEIVED, DLQ_EXTRACTION, DLQ_GEOCODING, EVENTS_GEOCODED, INCIDENTS


def build_runner(settings: StorageSettings, *, store: IncidentStore | None = None) -> Runner:
    on_close = []
    if store is None:
        engine = make_engine(settings.database_url)
        store = SqlIncidentStore(engine)
        on_close.append(engine.dispose)
    subs = [
        # A consumer batch of each topic is written in one transaction; per record only to isolate a failure.
        Subscription(ARTICLES_RECEIVED, partial(handle_article_received, store=store),
                     batch_handler=partial(handle_articles_received, store=store)),
        Subscription(EVENTS_GEOCODED, partial(handle_events_geocoded, store=store),
                     batch_handler=partial(handle_events_geocoded_many, store=store)),
        Subscription(INCIDENTS, partial(handle_incident_updated, store=store),
                     batch_handler=partial(handle_incidents_updated, store=store)),
        Subscription(DLQ_EXTRACTION, partial(handle_dead_letter, store=store)),
        Subscription(DLQ_GEOCODING, partial(handle_dead_letter, store=store)),
    ]
    return Runner(settings, "storage", subs, on_close=on_close)
