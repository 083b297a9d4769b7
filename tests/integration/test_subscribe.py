"""`dronewatch subscribe` against the real local broker: JSON lines of exactly the events that
pass the filters, from the public topic."""
from __future__ import annotations

import io
import json

import pytest

from shared.kafka.serde import encode
from shared.kafka.subscribe import EventFilter, subscribe
from shared.messages import Incident, IncidentUpdated, Location
from shared.topics import EVENTS_GEOCODED, INCIDENTS
from tests.builders import make_event, make_events_geocoded
from tests.kafka_helpers import create_topics, produce_raw

pytestmark = pytest.mark.integration

KHARKIV = Location(mention="Kharkiv", name="Kharkiv", country_code="UA", admin1_code="UA-63", admin1="Kharkiv Oblast",
                   lat=49.99, lon=36.23, precision="city", confidence=0.9)


async def test_subscribe_prints_the_matching_events_as_json_lines(settings_factory):
    settings = settings_factory()
    await create_topics(settings)
    first = make_events_geocoded("a-1", [make_event("a-1", id="e-smo"),
                                         make_event("a-1", id="e-kh-impact", type="impact", location=KHARKIV)])
    second = make_events_geocoded("a-2", [make_event("a-2", id="e-kh-uav", location=KHARKIV)])
    await produce_raw(settings, EVENTS_GEOCODED, [(b"a-1", encode(first)), (b"a-2", encode(second)),
                                                  (b"junk", b"not a message")])
    out = io.StringIO()
    printed = await subscribe(settings, EventFilter(admin1=frozenset({"UA-63"}), types=frozenset({"interception"})),
                              from_beginning=True, idle_timeout_s=2.0, out=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert printed == 1 and [e["id"] for e in lines] == ["e-kh-uav"]
    assert lines[0]["location"]["admin1_code"] == "UA-63" and lines[0]["article_id"] == "a-2"

    everything = io.StringIO()
    assert await subscribe(settings, EventFilter(), from_beginning=True, max_events=3, out=everything) == 3


async def test_a_group_subscriber_resumes_after_what_it_printed(settings_factory):
    # one key, so one partition and a fixed order: a record of two events, junk, a record of one
    settings = settings_factory()
    await create_topics(settings)
    first = make_events_geocoded("a-1", [make_event("a-1", id="e-1"), make_event("a-1", id="e-2")])
    second = make_events_geocoded("a-2", [make_event("a-2", id="e-3")])
    await produce_raw(settings, EVENTS_GEOCODED, [(b"k", encode(first)), (b"k", b"not a message"),
                                                  (b"k", encode(second))])

    async def run(group: str, **kwargs) -> list[str]:
        out = io.StringIO()
        printed = await subscribe(settings, EventFilter(), from_beginning=True, out=out,
                                  group=f"{settings.kafka_topic_prefix}{group}", **kwargs)
        lines = [json.loads(line)["id"] for line in out.getvalue().splitlines()]
        assert printed == len(lines)
        return lines

    # stopping in the middle of a record leaves that record to the next run (printed again, not lost)
    assert await run("sub", max_events=1) == ["e-1"]
    # a finished record is not printed again
    assert await run("sub", max_events=2) == ["e-1", "e-2"]
    assert await run("sub", idle_timeout_s=2.0) == ["e-3"]
    # another group starts from the beginning on its own
    assert await run("other", idle_timeout_s=2.0) == ["e-1", "e-2", "e-3"]


async def test_subscribe_follows_the_incidents_with_the_same_filters(settings_factory):
    settings = settings_factory()
    await create_topics(settings)
    states = [Incident(id="i-kh", version=v, change="created" if v == 1 else "updated", type="interception",
                       weapon="uav", location=KHARKIV, sources=v) for v in (1, 2)]
    states.append(Incident(id="i-smo", version=1, change="created", type="interception", weapon="uav",
                           location=make_event("a-1").location))
    msgs = [IncidentUpdated.create(producer="incidents", correlation_id="a-1", payload=s) for s in states]
    await produce_raw(settings, INCIDENTS, [(m.key.encode(), encode(m)) for m in msgs])
    out = io.StringIO()
    printed = await subscribe(settings, EventFilter(admin1=frozenset({"UA-63"})), from_beginning=True,
                              idle_timeout_s=2.0, out=out, incidents=True)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert printed == 2 and [(i["id"], i["version"], i["sources"]) for i in lines] == [("i-kh", 1, 1), ("i-kh", 2, 2)]
