"""Wires the incidents service's two handlers to its state store and the runner: one consumer
group reads both the public event sets (routing) and the internal per-region topic (the engine),
so every worker does both and Kafka spreads the partitions of each over the workers."""
from __future__ import annotations

from functools import partial

from services.incidents.adapters.sql import SqlState, make_state_engine
from services.incidents.handlers import (
    handle_claims_routed,
    handle_claims_routed_many,
    handle_events_geocoded,
    handle_events_geocoded_many,
)
from services.incidents.ports import IncidentState
from services.incidents.settings import IncidentsSettings
from shared.kafka.runner import Runner, Subscription
from shared.topics import EVENTS_GEOCODED, INCIDENT_CLAIMS


def build_runner(settings: IncidentsSettings, *, state: IncidentState | None = None) -> Runner:
    on_close = []
    rules, cap = settings.rules(), settings.incidents_max_claims_published
    if state is None:
        engine = make_state_engine(settings.incidents_database_url)
        state = SqlState(engine, rules, cache_claims=settings.incidents_cache_claims)
        on_close.append(engine.dispose)
    subs = [
        # A consumer batch of each topic in one transaction; record by record only to isolate a failure.
        Subscription(EVENTS_GEOCODED, partial(handle_events_geocoded, state=state),
                     batch_handler=partial(handle_events_geocoded_many, state=state)),
        Subscription(INCIDENT_CLAIMS, partial(handle_claims_routed, state=state, rules=rules, max_claims=cap),
                     batch_handler=partial(handle_claims_routed_many, state=state, rules=rules, max_claims=cap)),
    ]
    return Runner(settings, "incidents", subs, on_close=on_close)
