"""The incidents scenarios of tests/unit/incidents on the SQL state store (SQLite and PostgreSQL),
and what only a database can show: the state survives a restart, and a rebuild from the internal
topic's messages gives the same incidents."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.incidents.adapters.memory import MemoryState
from services.incidents.adapters.sql import SqlState, make_state_engine
from services.incidents.engine import apply
from services.incidents.handlers import (
    handle_claims_routed_many,
    handle_events_geocoded,
    handle_events_geocoded_many,
)
from services.incidents.rules import Rules
from shared.messages import EventsGeocoded
from tests.unit.incidents.pipeline import Pipeline, as_message
from tests.unit.incidents.reports import GRAIVORON, MASLOVA, NOVAYA_TAVOLZHANKA, SHEBEKINO, report
from tests.unit.incidents.test_engine import *  # noqa: F403 - the same scenarios, on SQL

pytestmark = pytest.mark.integration


@pytest.fixture
def pipeline(state_url):
    engine = make_state_engine(state_url)
    yield Pipeline(SqlState(engine))
    engine.dispose()


def reports():
    return [report("r1", MASLOVA, count=2), report("r2", NOVAYA_TAVOLZHANKA, at=timedelta(hours=1)),
            report("r3", SHEBEKINO, at=timedelta(hours=2), killed=1), report("r4", GRAIVORON),
            report("r2", at=timedelta(hours=1), version=2, withdrawn=True),
            report("r5", SHEBEKINO, at=timedelta(days=7))]


async def test_the_state_survives_a_restart(state_url):
    first = make_state_engine(state_url)
    p = Pipeline(SqlState(first))
    for r in reports()[:3]:
        await p.feed(r)
    first.dispose()
    again = make_state_engine(state_url)  # a new process: nothing in memory
    p2 = Pipeline(SqlState(again))
    for r in reports()[3:]:
        await p2.feed(r)
    ids = sorted(i.id for i in SqlState(again).incidents() if i.status == "active")
    again.dispose()
    reference = Pipeline()
    for r in reports():
        await reference.feed(r)
    assert ids == sorted(i.id for i in reference.active())


async def test_consumer_batches_give_the_states_one_report_at_a_time_gives(state_url):
    # The SQL store reads a batch's needs ahead and writes at its end: a report's versions in one
    # batch (the second moves its place; then that one again and the first late), one a later batch
    # finds applied, a redelivery, a withdrawal.
    first = [report("r1", MASLOVA), report("r2", NOVAYA_TAVOLZHANKA, at=timedelta(hours=1)),
             report("r1", SHEBEKINO, version=2), report("r3", SHEBEKINO, at=timedelta(hours=2), killed=1),
             report("r1", SHEBEKINO, version=2), report("r1", MASLOVA)]
    second = [report("r4", GRAIVORON), report("r2", at=timedelta(hours=1), version=2, withdrawn=True),
              report("r1", SHEBEKINO, version=2), report("r3", SHEBEKINO, GRAIVORON, at=timedelta(hours=2), version=2)]
    engine = make_state_engine(state_url)
    state = SqlState(engine)
    latest = {}
    for batch in (first, second):
        routed = await handle_events_geocoded_many([as_message(a) for a in batch], state=state)
        for m in await handle_claims_routed_many(routed, state=state, rules=Rules()):
            if m.payload.id not in latest or latest[m.payload.id].version <= m.payload.version:
                latest[m.payload.id] = m.payload
    held = {i.id: i for i in state.incidents()}
    engine.dispose()
    one_by_one = Pipeline()
    for a in first + second:
        await one_by_one.feed(a)
    assert latest == one_by_one.latest
    assert held == one_by_one.state.incidents  # type: ignore[attr-defined]


async def test_a_rebuild_from_the_routed_claims_gives_the_same_incidents(state_url):
    engine = make_state_engine(state_url)
    state = SqlState(engine)
    routed = []
    for r in reports():
        msg = EventsGeocoded.create(producer="test", correlation_id=r.article_id, payload=r)
        for m in await handle_events_geocoded(msg, state=state):
            routed.append(m.payload)
            await state.in_region(m.payload.region, lambda ws, rc=m.payload: apply(ws, rc, Rules()))
    live = {i.id: i for i in state.incidents()}
    engine.dispose()
    rebuilt = MemoryState()
    for rc in routed:  # the internal topic's records, replayed into an empty store
        rebuilt.in_region_sync(rc.region, lambda ws, rc=rc: apply(ws, rc, Rules()))
    assert rebuilt.incidents == live


def test_workers_starting_together_create_the_state_tables_once(state_url):
    import threading

    errors: list[str] = []

    def start() -> None:
        try:
            make_state_engine(state_url).dispose()
        except Exception as err:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(err))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


async def test_an_incident_larger_than_the_cache_is_still_written_and_read(state_url):
    engine = make_state_engine(state_url)
    state = SqlState(engine, cache_claims=3)
    p = Pipeline(state)
    for n in range(5):
        await p.feed(report(f"r{n}", SHEBEKINO, at=timedelta(minutes=n)))
    [incident] = [i for i in state.incidents() if i.status == "active"]
    engine.dispose()
    assert len(incident.claims) == 5 and incident.version == 5
