"""GET /v1/stream against the real local broker: a real uvicorn serving the gateway, EventsGeocoded
messages published to the event topic, Server-Sent Events read back with httpx-sse. New events arrive
under the filters, a reconnect with Last-Event-ID gets exactly what was missed, and the gateway
serves (with a 503 for the stream) while the broker is away."""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from httpx_sse import EventSource

from services.gateway.api import create_app
from services.gateway.settings import GatewaySettings
from shared.kafka.broker import free_port
from shared.kafka.serde import encode
from shared.messages import IncidentEvent, Location
from shared.topics import EVENTS_GEOCODED, INCIDENTS
from tests.builders import make_claim, make_event, make_events_geocoded, make_incident, make_incident_updated
from tests.kafka_helpers import create_topics, produce_raw

pytestmark = pytest.mark.integration

KHARKIV = Location(mention="Kharkiv", name="Kharkiv", country_code="UA", admin1_code="UA-63", admin1="Kharkiv Oblast",
                   lat=49.99, lon=36.23, precision="city", confidence=0.9)
KURSK = Location(mention="Kursk region", name="Kursk Oblast", country_code="RU", admin1_code="RU-KRS",
                 admin1="Kursk Oblast", lat=51.7, lon=36.2, precision="admin1", confidence=0.9)


@dataclass
class Message:
    event: str | None  # None: a message without data (the stream's start, a keep-alive)
    id: str | None  # the last id received so far, as a browser's EventSource keeps it
    data: dict | None


class SSEReader:
    """The messages of a text/event-stream response as a browser's EventSource sees them (httpx-sse
    parses the stream): comments are invisible, a block with only an id or a retry is a message
    without data."""

    def __init__(self, response: httpx.Response) -> None:
        self.events = EventSource(response).aiter_sse()
        self.last_id: str | None = None

    async def next(self, timeout_s: float = 20.0) -> Message:
        return await asyncio.wait_for(self._next(), timeout_s)

    async def _next(self) -> Message:
        try:
            sse = await anext(self.events)
        except StopAsyncIteration:
            raise EOFError("the stream ended") from None
        msg = Message(event=sse.event if sse.data else None, id=sse.id or None,
                      data=json.loads(sse.data) if sse.data else None)
        if msg.id is not None:
            self.last_id = msg.id
        return msg

    async def articles(self, count: int, timeout_s: float = 20.0) -> list[dict]:
        """The next `count` `events` messages' data, skipping comments."""
        out: list[dict] = []
        deadline = time.monotonic() + timeout_s
        while len(out) < count:
            msg = await self.next(max(0.1, deadline - time.monotonic()))
            if msg.event == "events":
                out.append(msg.data)
            assert msg.event in (None, "events"), msg
        return out

    async def until_cursor_covers(self, total: int, timeout_s: float = 20.0) -> list[dict]:
        """Messages until the cursor counts `total` records in all; returns the `events` data seen."""
        out: list[dict] = []
        deadline = time.monotonic() + timeout_s
        while self.last_id is None or records_behind(self.last_id) < total:
            msg = await self.next(max(0.1, deadline - time.monotonic()))
            if msg.event == "events":
                out.append(msg.data)
        return out


def records_behind(cursor: str) -> int:
    return sum(int(part.split(":")[1]) for part in cursor.split(","))


@contextlib.contextmanager
def serving(settings: GatewaySettings) -> Iterator[str]:
    """The gateway under a real uvicorn in a thread of its own; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
async def gateway(settings_factory, tmp_path) -> AsyncIterator[tuple[GatewaySettings, str]]:
    settings = settings_factory(GatewaySettings, database_url=f"sqlite:///{tmp_path / 'store.db'}",
                                gateway_stream_keepalive_s=0.3)
    await create_topics(settings)
    with serving(settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            deadline = time.monotonic() + 30
            while True:  # the live feed needs a moment to connect and assign the partitions
                with contextlib.suppress(httpx.TransportError):
                    async with client.stream("GET", "/v1/stream") as resp:
                        if resp.status_code == 200:
                            break
                assert time.monotonic() < deadline, "the stream never became available"
                await asyncio.sleep(0.2)
        yield settings, url


async def publish(settings: GatewaySettings, *articles: tuple[str, list[IncidentEvent]]) -> None:
    await produce_raw(settings, EVENTS_GEOCODED,
                      [(aid.encode(), encode(make_events_geocoded(aid, events))) for aid, events in articles])


@contextlib.asynccontextmanager
async def stream(url: str, params: dict | None = None, last_event_id: str | None = None) -> AsyncIterator[SSEReader]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10, read=30)) as client:
        async with client.stream("GET", "/v1/stream", params=params, headers=headers) as resp:
            assert resp.status_code == 200, await resp.aread()
            assert resp.headers["content-type"].startswith("text/event-stream")
            reader = SSEReader(resp)
            first = await reader.next()
            assert first.event is None and (first.id is not None or last_event_id)  # where the stream starts
            yield reader


async def test_new_events_arrive_under_the_filters(gateway):
    settings, url = gateway
    async with stream(url, {"admin1": "UA-63", "type": "interception"}) as sse:
        start = records_behind(sse.last_id)
        await publish(settings,
                      ("kh-1", [make_event("kh-1", id="kh-1-uav", location=KHARKIV)]),
                      ("kursk-1", [make_event("kursk-1", id="kursk-1-uav", location=KURSK)]),
                      ("kh-2", [make_event("kh-2", id="kh-2-impact", type="impact", location=KHARKIV),
                                make_event("kh-2", id="kh-2-uav", location=KHARKIV)]))
        seen = await sse.until_cursor_covers(start + 3)
    assert sorted(a["article_id"] for a in seen) == ["kh-1", "kh-2"]
    by_article = {a["article_id"]: [e["id"] for e in a["events"]] for a in seen}
    assert by_article == {"kh-1": ["kh-1-uav"], "kh-2": ["kh-2-uav"]}  # the impact is filtered out
    assert seen[0]["events"][0]["location"]["admin1_code"] == "UA-63"


async def test_near_q_and_min_count_filter_the_stream(gateway):
    settings, url = gateway
    async with stream(url, {"near": "50.0,36.2,30", "q": "kharkiv", "min_count": "3"}) as sse:
        start = records_behind(sse.last_id)
        await publish(settings,
                      ("few", [make_event("few", id="few-1", count=2, location=KHARKIV)]),
                      ("many", [make_event("many", id="many-1", count=5, location=KHARKIV)]),
                      ("far", [make_event("far", id="far-1", count=5, location=KURSK)]))
        seen = await sse.until_cursor_covers(start + 3)
        idle = await sse.next(5)
    assert [a["article_id"] for a in seen] == ["many"]
    assert idle.event is None and idle.data is None  # an idle stream stays open (keep-alives)


async def test_reconnecting_with_last_event_id_gets_exactly_what_was_missed(gateway):
    settings, url = gateway
    async with stream(url, {"country": "UA"}) as sse:
        await publish(settings, ("r-1", [make_event("r-1", id="r-1-e", location=KHARKIV)]))
        assert [a["article_id"] for a in await sse.articles(1)] == ["r-1"]
        resume_at = sse.last_id

    # Disconnected: these are missed, one of them does not match the filter.
    await publish(settings, *[(f"r-{n}", [make_event(f"r-{n}", id=f"r-{n}-e", location=KHARKIV)]) for n in range(2, 6)],
                  ("r-ru", [make_event("r-ru", id="r-ru-e", location=KURSK)]))

    async with stream(url, {"country": "UA"}, last_event_id=resume_at) as sse:
        replayed = await sse.until_cursor_covers(records_behind(resume_at) + 5)
        assert sorted(a["article_id"] for a in replayed) == ["r-2", "r-3", "r-4", "r-5"]
        await publish(settings, ("r-6", [make_event("r-6", id="r-6-e", location=KHARKIV)]))
        assert [a["article_id"] for a in await sse.articles(1)] == ["r-6"]  # and then live, nothing twice


async def test_a_replaced_event_set_replaces_what_the_client_was_sent(gateway):
    settings, url = gateway
    async with stream(url, {"admin1": "UA-63"}) as sse:
        await publish(settings, ("moved", [make_event("moved", id="moved-kh", location=KHARKIV)]))
        assert [e["id"] for e in (await sse.articles(1))[0]["events"]] == ["moved-kh"]
        # Re-processed: the article's events are now elsewhere, so the client must drop them.
        await publish(settings, ("moved", [make_event("moved", id="moved-kursk", location=KURSK)]))
        assert await sse.articles(1) == [{"article_id": "moved", "events": []}]


async def test_an_id_the_topic_never_had_gets_a_reset(gateway):
    _, url = gateway
    ahead = ",".join(f"{p}:1000000" for p in range(EVENTS_GEOCODED.partitions))
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with client.stream("GET", "/v1/stream", headers={"Last-Event-ID": ahead}) as resp:
            sse = SSEReader(resp)
            assert (await sse.next()).event is None  # the stream's start, before the reset
            reset = await sse.next()
    assert reset.event == "reset" and "ahead" in reset.data["reason"]
    assert records_behind(reset.id) < 1000000  # the client continues from the topic's real position


async def test_bad_parameters_and_ids_are_refused_naming_them(gateway):
    _, url = gateway
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        bad_id = await client.get("/v1/stream", headers={"Last-Event-ID": "yesterday"})
        bad_near = await client.get("/v1/stream", params={"near": "50,36"})
        bad_type = await client.get("/v1/stream", params={"type": "explosion"})
    for resp, name in ((bad_id, "Last-Event-ID"), (bad_near, "near"), (bad_type, "type")):
        assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
        assert [e["name"] for e in resp.json()["errors"]] == [name]


def test_gateway_serves_without_a_broker_and_the_stream_says_503(tmp_path):
    settings = GatewaySettings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'store.db'}",
                               kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", kafka_request_timeout_ms=1000)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        page = client.get("/")
        resp = client.get("/v1/stream")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert resp.status_code == 503 and "stream" in resp.text


async def test_a_client_too_slow_for_its_queue_catches_up_from_the_topic_without_losses(settings_factory):
    from services.gateway.api.routes.stream import client_stream
    from services.gateway.filters import EventFilter
    from services.gateway.live import LiveFeed

    settings = settings_factory(GatewaySettings)
    await create_topics(settings)
    feed = LiveFeed(settings, queue_size=2)
    feed.start()
    try:
        deadline = time.monotonic() + 30
        while not feed.ready:
            assert time.monotonic() < deadline, "the live feed never connected"
            await asyncio.sleep(0.1)
        messages = client_stream(feed, EventFilter(), None, keepalive_s=0.3)
        assert (await anext(messages)).comment == "live"
        ids = [f"slow-{n}" for n in range(12)]
        await publish(settings, *[(aid, [make_event(aid, id=f"{aid}-e", location=KHARKIV)]) for aid in ids])
        while sum(feed._positions.values()) < len(ids):  # the feed has gone past this client's queue
            assert time.monotonic() < deadline, "the live feed did not read the records"
            await asyncio.sleep(0.05)
        got: list[str] = []
        deadline = time.monotonic() + 20
        while len(got) < len(ids):
            assert time.monotonic() < deadline, f"only {sorted(got)} arrived"
            msg = await asyncio.wait_for(anext(messages), 20)
            if msg.event == "events":
                got.append(msg.data["article_id"])
        assert sorted(got) == sorted(ids)
        await messages.aclose()
    finally:
        await feed.stop()


async def _stream_metrics(client: httpx.AsyncClient) -> tuple[float, float]:
    """(connected stream clients, events sent to them) from the gateway's /metrics."""
    values = {"dronewatch_stream_clients": 0.0, "dronewatch_stream_events_sent_total": 0.0}
    for line in (await client.get("/metrics")).text.splitlines():
        name = line.split("{", 1)[0]
        if name in values:
            values[name] = float(line.rsplit(" ", 1)[1])
    return values["dronewatch_stream_clients"], values["dronewatch_stream_events_sent_total"]


async def test_metrics_count_connected_clients_and_the_events_they_were_sent(gateway):
    settings, url = gateway
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        clients, sent = await _stream_metrics(client)
        async with stream(url, {"admin1": "UA-63"}) as first, stream(url) as second:
            assert (await _stream_metrics(client))[0] == clients + 2
            await publish(settings, ("m-1", [make_event("m-1", id="m-1-a", location=KHARKIV),
                                             make_event("m-1", id="m-1-b", type="attack", location=KHARKIV)]),
                          ("m-2", [make_event("m-2", id="m-2-a", location=KURSK)]))
            await first.articles(1)  # m-1's two events (m-2 is filtered out)
            await second.articles(2)  # all three
            assert (await _stream_metrics(client))[1] == sent + 5
        deadline = time.monotonic() + 10
        while (await _stream_metrics(client))[0] != clients:  # the server notices the disconnects
            assert time.monotonic() < deadline, "clients that left are still counted"
            await asyncio.sleep(0.1)


async def test_an_outage_of_the_topic_is_logged_once_with_back_off_and_its_end_once(settings_factory, caplog):
    import logging

    from services.gateway.live import LiveFeed

    settings = settings_factory(GatewaySettings)  # this test's own topic prefix: no topic yet
    feed = LiveFeed(settings, retry_s=0.05, retry_max_s=0.2)
    caplog.set_level(logging.DEBUG, logger="services.gateway.live")
    feed.start()
    try:
        deadline = time.monotonic() + 20
        while sum("still cannot read" in r.getMessage() for r in caplog.records) < 3:  # several retries
            assert time.monotonic() < deadline, "the feed did not retry"
            await asyncio.sleep(0.05)
        await create_topics(settings)
        while not feed.ready:
            assert time.monotonic() < deadline, "the feed did not recover"
            await asyncio.sleep(0.05)
    finally:
        await feed.stop()
    mine = [r for r in caplog.records if r.name == "services.gateway.live"]
    warnings = [r for r in mine if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "does not exist" in warnings[0].error
    assert [r.getMessage() for r in mine if r.levelno == logging.INFO][:1] == ["live feed reconnected"]


async def publish_incidents(settings: GatewaySettings, *states) -> None:
    await produce_raw(settings, INCIDENTS, [(s.id.encode(), encode(make_incident_updated(s))) for s in states])


async def incident_messages(sse: SSEReader, count: int, timeout_s: float = 20.0) -> list[dict]:
    out: list[dict] = []
    deadline = time.monotonic() + timeout_s
    while len(out) < count:
        msg = await sse.next(max(0.1, deadline - time.monotonic()))
        if msg.event == "incident":
            out.append(msg.data)
    return out


def incident_at(id: str, location: Location, sources: int, **kw):  # noqa: A002
    claims = [make_claim(make_event(f"{id}-a{n}", id=f"{id}-e{n}", location=location, source=f"s{n}"))
              for n in range(sources)]
    return make_incident(id, claims, location=location, **kw)


async def test_incident_changes_arrive_under_the_filters_and_a_merge_withdraws_one(gateway):
    settings, url = gateway
    async with stream(url, {"admin1": "UA-63", "min_sources": "2"}) as sse:
        await publish_incidents(settings, incident_at("i-kursk", KURSK, 3), incident_at("i-one", KHARKIV, 1),
                                incident_at("i-kh", KHARKIV, 2))
        [got] = await incident_messages(sse, 1)
        assert (got["id"], got["matches"], got["incident"]["sources"]) == ("i-kh", True, 2)
        assert [c["event_id"] for c in got["incident"]["claims"]] == ["i-kh-e0", "i-kh-e1"]
        resume_at = sse.last_id
        await publish_incidents(settings, incident_at("i-kh", KHARKIV, 0, version=2, change="merged",
                                                      status="merged", merged_into="i-big"))
        [gone] = await incident_messages(sse, 1)
        assert (gone["id"], gone["matches"]) == ("i-kh", False)
        assert (gone["incident"]["status"], gone["incident"]["merged_into"]) == ("merged", "i-big")
        # a retraction comes even for one the stream never sent (the client may hold it from GET
        # /v1/incidents); an update of one it never sent that does not match does not
        await publish_incidents(settings, incident_at("i-one", KHARKIV, 1, version=2, change="updated"),
                                incident_at("i-kursk", KURSK, 0, version=2, change="retracted", status="retracted"))
        [retracted] = await incident_messages(sse, 1)
        assert (retracted["id"], retracted["matches"], retracted["incident"]["status"]) == (
            "i-kursk", False, "retracted")
    # a resumed stream replays what it missed after its id (i-one may have been behind it in
    # another partition; i-kursk's retraction came after it), and i-kh only in its new state
    async with stream(url, {"kinds": "incidents", "status": "any", "country": "UA"}, last_event_id=resume_at) as sse:
        replayed = await incident_messages(sse, 1)
        while replayed[-1]["id"] != "i-kh":
            replayed += await incident_messages(sse, 1)
        assert {r["id"] for r in replayed} <= {"i-one", "i-kh", "i-kursk"}  # i-kursk: its retraction
        assert all(not r["matches"] for r in replayed if r["id"] == "i-kursk")
        assert replayed[-1]["incident"]["version"] == 2 and replayed[-1]["matches"]
