"""`q` on the stores' full-text indexes (SQLite FTS5, PostgreSQL tsvector + GIN): word-prefix
matching over evidence texts and place names in any case and script, and an index that follows
storage's writes: a new report version that rewords an event, and a retracted event."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from services.storage.adapters.sql import SqlIncidentStore
from shared.messages import Evidence, GeocodedArticle, Location, TimeWindow
from tests.builders import make_event

pytestmark = pytest.mark.integration

KYIV = Location(mention="у Києві", name="Kyiv", country_code="UA", admin1_code="UA-30", admin1="Kyiv",
                city="Kyiv", lat=50.45, lon=30.52, precision="city", confidence=0.9)
BELGOROD = Location(mention="Белгородской области", name="Belgorod Oblast", country_code="RU",
                    admin1_code="RU-BEL", admin1="Belgorod Oblast", lat=50.6, lon=36.6, precision="admin1",
                    confidence=0.9)


def at_day(day: int) -> TimeWindow:
    return TimeWindow(start=datetime(2026, 3, day, 12, tzinfo=UTC), precision="hour")


def evidence(article_id: str, *texts: str) -> list[Evidence]:
    return [Evidence(article_id=article_id, field="type", span=(0, len(t)), text=t) for t in texts]


def report(article_id: str, version: int, *events) -> GeocodedArticle:
    return GeocodedArticle(article_id=article_id, language="ru", events=list(events), version=version)


async def found(gateway, q: str) -> list[str]:
    resp = await gateway.get("/v1/events", params={"q": q})
    assert resp.status_code == 200, resp.text
    return sorted(e["id"] for e in resp.json()["items"])


@pytest.fixture
async def stored(store: SqlIncidentStore) -> None:
    await store.record_geocoded(report("a-bel", 1, make_event(
        "a-bel", id="e-bel", location=BELGOROD, evidence=evidence("a-bel", "Сбиты три беспилотника", "ПВО"))))
    await store.record_geocoded(report("a-kyiv", 1, make_event(
        "a-kyiv", id="e-kyiv", type="impact", location=KYIV,
        evidence=evidence("a-kyiv", "Уламки дрона впали на дах будинку"))))


@pytest.mark.usefixtures("stored")
async def test_words_match_by_their_start_in_any_case_and_script(gateway):
    assert await found(gateway, "БЕСПИЛОТ") == ["e-bel"]  # a prefix, Cyrillic, other case
    assert await found(gateway, "беспилотника") == ["e-bel"]  # the whole word
    assert await found(gateway, "пилот") == []  # inside a word is not a word's start
    assert await found(gateway, "києві") == ["e-kyiv"]  # Ukrainian letters, from the place as mentioned
    assert await found(gateway, "belgorod") == ["e-bel"]  # the resolved place name
    assert await found(gateway, "пво") == ["e-bel"]


@pytest.mark.usefixtures("stored")
async def test_every_word_must_match_in_any_field_and_order(gateway):
    assert await found(gateway, "белгородской сбиты") == ["e-bel"]  # a place word and an evidence word
    assert await found(gateway, "дрона, Kyiv") == ["e-kyiv"]  # punctuation separates words
    assert await found(gateway, "дрона belgorod") == []
    assert await found(gateway, '"* OR NEAR(') == []  # search syntax is plain text here, never an error


async def test_the_index_follows_a_new_version_and_a_retraction(gateway, store: SqlIncidentStore):
    first = make_event("a-edit", id="e-edit", location=BELGOROD, evidence=evidence("a-edit", "шахед сбит"))
    other = make_event("a-edit", id="e-gone", type="attack", location=KYIV, evidence=evidence("a-edit", "ракета"))
    await store.record_geocoded(report("a-edit", 1, first, other))
    assert await found(gateway, "шахед") == ["e-edit"]
    assert await found(gateway, "ракета") == ["e-gone"]

    reworded = first.model_copy(update={"evidence": evidence("a-edit", "крылатая ракета сбита")})
    await store.record_geocoded(report("a-edit", 2, reworded))  # e-gone retracted, e-edit reworded
    assert await found(gateway, "шахед") == []
    assert await found(gateway, "ракета") == ["e-edit"]
    assert await found(gateway, "крылат") == ["e-edit"]


async def test_the_search_reads_the_index_not_every_event(store: SqlIncidentStore):
    """The query plan uses the full-text index: no scan of the events' JSON."""
    from sqlalchemy import select

    from services.gateway.filters import EventFilter, where
    from shared.store.tables import events

    with store.engine.connect() as conn:
        dialect = conn.dialect.name
        query = select(events.c.seq).where(*where(EventFilter(q="беспилот"), dialect))
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        if dialect == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned anyway
            plan = " ".join(r[0] for r in conn.execute(text(f"EXPLAIN {compiled}")))
            assert "ix_events_search" in plan, plan
        else:
            plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "events_fts VIRTUAL TABLE INDEX" in plan, plan


async def test_search_pages_follow_every_sort_without_repeats_or_gaps(gateway, store: SqlIncidentStore):
    for n in range(5):
        await store.record_geocoded(report(f"a-{n}", 1, make_event(
            f"a-{n}", id=f"e-{n}", location=BELGOROD, occurred_at=at_day(n + 1), evidence=evidence(f"a-{n}", "ПВО"))))
    await store.record_geocoded(report("a-other", 1, make_event("a-other", id="e-other", location=KYIV)))
    for sort, expected in (("stored", [f"e-{n}" for n in range(5)]), ("time", [f"e-{n}" for n in range(5)]),
                           ("-time", [f"e-{n}" for n in reversed(range(5))])):
        seen, cursor = [], None
        while True:
            params = {"q": "пво", "sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await gateway.get("/v1/events", params=params)).json()
            seen += [e["id"] for e in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected, sort
