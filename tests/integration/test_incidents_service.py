"""The incidents service against the real local broker: two workers sharing the work never make
two incidents of one real event, and poison is dead-lettered with its reason."""
from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta

import pytest

from services.incidents.adapters.sql import SqlState, make_state_engine
from services.incidents.app import build_runner
from services.incidents.grouping import group_events
from services.incidents.settings import IncidentsSettings
from shared.kafka.serde import encode
from shared.messages import EventsGeocoded, GeocodedArticle, Incident, IncidentUpdated
from shared.topics import DLQ_INCIDENTS, EVENTS_GEOCODED, INCIDENTS
from tests.kafka_helpers import counted, create_topics, produce_raw, read_to_end, read_topic, wait_for
from tests.unit.incidents.reports import place, report

pytestmark = pytest.mark.integration

REGIONS = [f"RU-R{i:02d}" for i in range(8)]


def corpus() -> list[GeocodedArticle]:
    """8 regions x 3 days x 2 places, each incident told by 3 reports from different outlets (one
    of them edited once), and each region's night also claimed for the region as a whole."""
    out = []
    for r, region in enumerate(REGIONS):
        for day in range(3):
            at = timedelta(days=7 * day)
            for k in range(2):
                village = place(f"V{r}-{k}", admin1=region, admin1_name=region, admin2=f"D{r}-{k}",
                                lat=50.0 + r, lon=30.0 + k)  # the two places ~70 km apart
                for n in range(3):
                    out.append(report(f"{region}-d{day}-p{k}-n{n}", village, at=at + timedelta(hours=n),
                                      count=3 + n, claimed_by="Governor" if n == 0 else None))
            whole = place(region, "admin1", admin1=region, admin1_name=region, lat=50.0 + r, lon=30.5)
            out.append(report(f"{region}-d{day}-mod", whole, at=at + timedelta(hours=4), count=20))
    edited = out[1]
    out.append(edited.model_copy(update={"version": 2, "events": [e.model_copy(update={"killed": 2})
                                                                 for e in edited.events]}))
    return out


def records(articles):
    msgs = [EventsGeocoded.create(producer="test", correlation_id=a.article_id, payload=a) for a in articles]
    return [(m.key.encode(), encode(m)) for m in msgs]


async def latest_incidents(settings) -> dict[str, Incident]:
    latest: dict[str, Incident] = {}
    for rec in await read_to_end(settings, INCIDENTS):
        inc = Incident.model_validate(json.loads(rec.value)["payload"])
        assert rec.key == inc.id.encode()
        if inc.id not in latest or latest[inc.id].version <= inc.version:
            latest[inc.id] = inc
    return latest


def groups(latest: dict[str, Incident], regional: set[str]) -> list[list[str]]:
    """The active incidents' events, leaving out the claims for a whole region: which of a region's
    incidents such a claim supports depends on what arrived before it (see docs)."""
    return sorted(sorted(c.event_id for c in i.claims if c.event_id not in regional)
                  for i in latest.values() if i.status == "active")


async def start(settings):
    runner = build_runner(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.wait_for(runner.started.wait(), 30)
    return runner, stop, task


async def test_two_workers_make_one_incident_of_each_real_event(settings_factory, state_url):
    settings = settings_factory(IncidentsSettings, incidents_database_url=state_url, ops_port=None)
    await create_topics(settings)
    articles = corpus()
    regional = {e.id for a in articles if a.article_id.endswith("-mod") for e in a.events}
    expected = sorted(sorted(g - regional) for g in group_events(articles))
    assert len(expected) == len(REGIONS) * 3 * 2
    half = len(articles) // 2
    first = await start(settings)
    await produce_raw(settings, EVENTS_GEOCODED, records(articles[:half]))
    second = await start(settings)  # joins while the first is at work: the partitions are shared out anew
    await wait_for(lambda: second[0]._consumer.assignment(), timeout_s=30)  # it has its share before the rest
    await produce_raw(settings, EVENTS_GEOCODED, records(articles[half:]))
    try:
        async def settled() -> bool:
            return groups(await latest_incidents(settings), regional) == expected

        await wait_for(settled, timeout_s=90, interval_s=1.0)
        with contextlib.suppress(TimeoutError):  # the assertion below names what is missing
            await wait_for(lambda: published_as_held(settings, state_url), timeout_s=30, interval_s=1.0)
    finally:
        for _, stop, _ in (first, second):
            stop.set()
        await asyncio.gather(*(task for *_, task in (first, second)))
    for runner, *_ in (first, second):
        assert counted(runner, "consumed") > 0  # both took part
    latest = await latest_incidents(settings)
    supported = [c for i in latest.values() if i.status == "active" for c in i.claims if c.event_id in regional]
    assert sorted(c.event_id for c in supported) == sorted(regional)  # each supports one incident
    assert all(c.containing_only for c in supported)
    edited = next(i for i in latest.values() if i.status == "active" and i.killed.value == 2)
    assert len([c for c in edited.claims if not c.containing_only]) == 3
    # Every change the workers committed to the shared state store reached incidents.v1 (each
    # incident's latest version at least: a batch publishes only the last state of an incident).
    assert await asyncio.to_thread(held_versions, state_url) == published_versions(latest)


async def test_a_batch_whose_states_were_stored_but_never_sent_is_published_by_the_next_owner(settings_factory,
                                                                                              state_url):
    """A worker commits a batch's changes to the shared state and is lost before its messages leave
    (killed, or evicted while stalled): its offsets were not committed, so the worker that takes
    the partitions over reads the batch again, finds it applied and publishes those states."""
    settings = settings_factory(IncidentsSettings, incidents_database_url=state_url, ops_port=None)
    await create_topics(settings)
    lost = build_runner(settings)
    stalled = asyncio.Event()
    deliver = lost._deliver

    async def stall(outputs):  # the incidents' states never leave this worker
        if any(isinstance(m, IncidentUpdated) for m in outputs.messages):
            stalled.set()
            await asyncio.Event().wait()
        await deliver(outputs)

    lost._deliver = stall  # type: ignore[method-assign]
    lost_task = asyncio.create_task(lost.run(asyncio.Event()))
    await produce_raw(settings, EVENTS_GEOCODED, records([a for a in corpus() if a.article_id < "RU-R02"]))
    await asyncio.wait_for(stalled.wait(), 60)
    assert await asyncio.to_thread(held_versions, state_url)  # stored...
    assert not await latest_incidents(settings)  # ...and not sent
    survivor = await start(settings)
    await wait_for(lambda: survivor[0]._consumer.assignment(), timeout_s=30)
    lost_task.cancel()  # gone without committing the batch in hand; its partitions move to the survivor
    with contextlib.suppress(asyncio.CancelledError):
        await lost_task
    try:
        with contextlib.suppress(TimeoutError):  # the assertion below names what is missing
            await wait_for(lambda: published_as_held(settings, state_url), timeout_s=60, interval_s=1.0)
    finally:
        survivor[1].set()
        await survivor[2]
    latest = await latest_incidents(settings)
    assert await asyncio.to_thread(held_versions, state_url) == published_versions(latest)
    assert len(latest) == 2 * 3 * 2  # two regions' incidents, nothing lost or duplicated


def held_versions(state_url: str) -> dict[str, int]:
    """Each incident's version in the shared state store."""
    engine = make_state_engine(state_url)
    try:
        return {i.id: i.version for i in SqlState(engine).incidents()}
    finally:
        engine.dispose()


def published_versions(latest: dict[str, Incident]) -> dict[str, int]:
    return {i: inc.version for i, inc in latest.items()}


async def published_as_held(settings, state_url: str) -> bool:
    """Every change of the shared state store reached incidents.v1."""
    latest = await latest_incidents(settings)
    return await asyncio.to_thread(held_versions, state_url) == published_versions(latest)


async def test_poison_is_dead_lettered_with_the_reason(settings_factory, tmp_path):
    settings = settings_factory(IncidentsSettings, incidents_database_url=f"sqlite:///{tmp_path / 'inc.db'}",
                                ops_port=None)
    await create_topics(settings)
    good = report("ok-1", place("Somewhere", lat=50.0, lon=36.0))
    stray = good.model_copy(update={"article_id": "other"})
    await produce_raw(settings, EVENTS_GEOCODED, [(b"junk", b"not json"), *records([stray, good])])
    runner, stop, task = await start(settings)
    try:
        dead = await read_topic(settings, DLQ_INCIDENTS, expect=2)
        await wait_for(lambda: counted(runner, "produced") >= 2)
    finally:
        stop.set()
        await task
    reasons = {r.key: dict(r.headers)["dlq.reason"].decode() for r in dead}
    assert "JSON" in reasons[b"junk"]
    assert "belong to another article" in reasons[b"other"]
    assert [i.claims[0].article_id for i in (await latest_incidents(settings)).values()] == ["ok-1"]
