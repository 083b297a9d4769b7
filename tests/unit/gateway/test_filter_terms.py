"""The filter definition (services/gateway/filters.TERMS): every filter has its term, every subject
has every field the terms read, and the two readings, SQL (`where`, on a real SQLite store) and
memory (`accepts`, the live stream's), select the same items on a table of cases, edge values
included (unknown counts, places without a point, null claimants, the bounds of a range).
tests/integration/test_incidents.py runs the incident cases on PostgreSQL too."""
from __future__ import annotations

import asyncio
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.gateway.api.app import make_read_engine
from services.gateway.filters import (
    EVENTS,
    INCIDENTS,
    TERMS,
    EventFilter,
    IncidentFilter,
    Near,
    SubjectOp,
    accepts_event,
    accepts_incident,
    event_facts,
    incident_facts,
    where,
)
from services.gateway.regions import Regions
from services.storage.adapters.sql import SqlIncidentStore, make_engine
from services.storage.migrations import upgrade
from shared.messages import Evidence, GeocodedArticle, Location, TimeWindow
from shared.store.tables import events
from tests.builders import make_claim, make_event, make_incident

T0 = datetime(2026, 5, 1, tzinfo=UTC)
REGIONS = Regions()
BELGOROD = Location(mention="Белгород", name="Belgorod", country_code="RU", admin1_code="RU-BEL",
                    admin1="Belgorod Oblast", admin2="Белгородский район", city="Belgorod", lat=50.6, lon=36.6,
                    precision="city", confidence=0.9)
ODESA = Location(mention="Odesa", name="Odesa", country_code="UA", admin1_code="UA-51", admin1="Odesa Oblast",
                 city="Odesa", lat=46.48, lon=30.72, precision="city", confidence=0.9)
SEA = Location(mention="over the Black Sea", name="Black Sea", precision="sea", lat=43.0, lon=34.0)
NOWHERE = Location(mention="the front", reason="not in the gazetteer")


def _ev(i: int, **kw):
    text = kw.pop("text", "сбиты беспилотники")
    return make_event(f"a-{i}", id=f"e-{i}", evidence=[Evidence(article_id=f"a-{i}", field="type", span=(0, 5),
                                                                text=text)], **kw)


EVENT_ROWS = [
    _ev(0, location=BELGOROD, count=3, claimed_by="Вячеслав Гладков", occurred_at=TimeWindow(start=T0)),
    _ev(1, location=ODESA, type="impact", weapon="missile", count=None, killed=2, claimed_by=None,
        published_at=T0 + timedelta(hours=5), text="missile hit the port"),
    _ev(2, location=SEA, count=10, claimed_by="Ministry of Defence",
        occurred_at=TimeWindow(start=T0 + timedelta(days=1))),
    _ev(3, location=NOWHERE, type="debris_fall", count=0, published_at=T0 - timedelta(days=1), text="уламки"),
    _ev(4, location=BELGOROD.model_copy(update={"admin2": None, "precision": "admin1"}), count=1,
        claimed_by="губернатор", occurred_at=TimeWindow(start=T0 + timedelta(hours=5))),
]

EVENT_CASES = [
    EventFilter(), EventFilter(article_id="a-1"), EventFilter(since=T0 + timedelta(hours=5)),
    EventFilter(until=T0 + timedelta(hours=5)), EventFilter(types=("impact", "debris_fall")),
    EventFilter(weapons=("missile",)), EventFilter(countries=("RU", "UA")), EventFilter(admin1=("RU-BEL",)),
    EventFilter(admin2="БЕЛГОРОДСКИЙ РАЙОН"), EventFilter(admin2=""), EventFilter(claimed_by="гладк"),
    EventFilter(claimed_by="%"), EventFilter(min_count=0), EventFilter(min_count=3),
    EventFilter(precisions=(None,)), EventFilter(precisions=("city", "sea")), EventFilter(bbox=(30, 43, 37, 47)),
    EventFilter(bbox=(36.6, 50.6, 36.6, 50.6)), EventFilter(near=Near(50.0, 36.0, 90)),
    EventFilter(near=Near(46.0, 31.0, 1000)), EventFilter(region=REGIONS.get("RU-BEL")),
    EventFilter(region=REGIONS.get("UA-51")), EventFilter(q="беспилот"), EventFilter(q="PORT missile"),
    EventFilter(q="black"), EventFilter(q="илот"), EventFilter(countries=("RU",), min_count=2, q="сбиты"),
]


def test_every_filter_has_its_term_and_every_subject_every_field():
    assert {t.filter for t in TERMS} == {f.name for f in fields(IncidentFilter)}
    now = datetime.now(UTC)
    facts = {"events": set(event_facts(EVENT_ROWS[0], now)),
             "incidents": set(incident_facts(make_incident(), now))}
    for term in TERMS:
        assert term.field in facts["events"] and term.field in facts["incidents"], term
        if not isinstance(term.op, SubjectOp):
            assert term.field in INCIDENTS.fields, term
            assert term.field in EVENTS.fields or term.filter in ("min_sources", "statuses"), term


def test_the_incident_filters_split_into_the_event_filters_and_their_own():
    flt = IncidentFilter(admin1=("RU-BEL",), min_sources=2, statuses=("merged",))
    assert flt.events() == EventFilter(admin1=("RU-BEL",)) and type(flt.events()) is EventFilter


@pytest.fixture(scope="module")
def event_store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('filters') / 'store.db'}"
    upgrade(url)
    writer = make_engine(url)
    asyncio.run(SqlIncidentStore(writer).record_geocoded_many([
        GeocodedArticle(article_id=e.article_id, language="en", events=[e]) for e in EVENT_ROWS]))
    writer.dispose()
    engine = make_read_engine(url, REGIONS)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("case", range(len(EVENT_CASES)))
def test_sql_and_memory_select_the_same_events(event_store, case):
    flt = EVENT_CASES[case]
    with event_store.connect() as conn:
        got = sorted(r.id for r in conn.execute(select(events.c.id).where(*where(flt, "sqlite", EVENTS))))
    now = datetime.now(UTC)  # every stored event has an occurred or a published time: `now` is not used
    assert got == sorted(e.id for e in EVENT_ROWS if accepts_event(flt, e, now))


def test_an_incident_matches_through_any_of_its_claims_in_memory():
    inc = make_incident("i", [make_claim(EVENT_ROWS[0]), make_claim(EVENT_ROWS[1])], location=BELGOROD, sources=2)
    now = datetime.now(UTC)
    assert accepts_incident(IncidentFilter(article_id="a-1"), inc, now)  # the second claim's report
    assert accepts_incident(IncidentFilter(q="port"), inc, now)
    assert not accepts_incident(IncidentFilter(countries=("UA",)), inc, now)  # the incident's own place
    assert not accepts_incident(IncidentFilter(min_sources=3), inc, now)
    assert not accepts_incident(IncidentFilter(statuses=("retracted",)), inc, now)
    assert accepts_incident(IncidentFilter(statuses=()), inc.model_copy(update={"status": "retracted"}), now)
