"""Report versions in the store, on SQLite and PostgreSQL: an edit replaces the article's events
(changed ones updated in place, retracted ones gone, nothing duplicated); an older version that
arrives late changes nothing; a receipt names the version the store holds."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.storage.adapters.sql import SqlIncidentStore
from shared.messages import GeocodedArticle
from shared.store.tables import articles, events
from tests.builders import make_article, make_event

pytestmark = pytest.mark.integration


def version_of(article_id: str, evs, version: int) -> GeocodedArticle:
    return GeocodedArticle(article_id=article_id, language="en", events=evs, version=version)


def stored(store: SqlIncidentStore, article_id: str) -> tuple[dict, dict[str, int | None]]:
    with store.engine.connect() as conn:
        art = conn.execute(select(articles).where(articles.c.id == article_id)).one()._asdict()
        rows = conn.execute(select(events.c.id, events.c.count).where(events.c.article_id == article_id)).all()
    return art, {r.id: r.count for r in rows}


async def test_an_edit_updates_changed_events_and_removes_retracted_ones(store):
    await store.record_received(make_article(id="v-1"))
    kept, dropped = make_event("v-1", id="e-kept", count=2), make_event("v-1", id="e-dropped", type="attack")
    assert await store.record_geocoded(version_of("v-1", [kept, dropped], 1)) == 1
    await store.record_received(make_article(id="v-1", text="edited", version=2))
    art, _ = stored(store, "v-1")
    assert (art["status"], art["version"]) == ("pending", 2)  # the edit is being processed
    assert await store.record_geocoded(version_of("v-1", [kept.model_copy(update={"count": 5})], 2)) == 2
    art, evs = stored(store, "v-1")
    assert (art["status"], art["version"], art["event_count"]) == ("processed", 2, 1)
    assert evs == {"e-kept": 5}


async def test_an_older_version_arriving_late_is_ignored(store):
    new = version_of("v-2", [make_event("v-2", id="e-new", count=7)], 3)
    old = version_of("v-2", [make_event("v-2", id="e-old", count=1)], 2)
    assert await store.record_geocoded(new) == 3
    assert await store.record_geocoded(old) == 3
    await store.record_received(make_article(id="v-2", text="older text", version=2))
    assert await store.record_failed("v-2", "geocoding: late failure of an old version", 2) == 3
    art, evs = stored(store, "v-2")
    assert (art["status"], art["version"], art["text"]) == ("processed", 3, None)
    assert evs == {"e-new": 7}


async def test_redelivered_versions_never_duplicate_events(store):
    v1 = version_of("v-3", [make_event("v-3", id="e-a")], 1)
    v2 = version_of("v-3", [make_event("v-3", id="e-a", count=3), make_event("v-3", id="e-b", type="impact")], 2)
    for msg in (v1, v2, v1, v2, v2):
        await store.record_geocoded(msg)
    _, evs = stored(store, "v-3")
    assert evs == {"e-a": 3, "e-b": 1}


async def test_a_batch_applies_versions_as_if_written_one_by_one(store):
    """One consumer batch in one transaction: redeliveries and versions inside it, in any order,
    end exactly as writing them one at a time would, and each gets the version the store held."""
    await store.record_received_many([make_article(id="b-1"), make_article(id="b-2"),
                                      make_article(id="b-1", text="edited", version=2), make_article(id="b-1")])
    art, _ = stored(store, "b-1")
    assert (art["status"], art["version"], art["text"]) == ("pending", 2, "edited")
    v1 = version_of("b-1", [make_event("b-1", id="e-1"), make_event("b-1", id="e-gone", type="attack")], 1)
    v2 = version_of("b-1", [make_event("b-1", id="e-1", count=4)], 2)
    other = version_of("b-2", [make_event("b-2", id="e-2")], 1)
    # v1 comes after its article's version 2 was received: superseded, like a late v1 one by one
    assert await store.record_geocoded_many([v1, other, v2, v1, other]) == [2, 1, 2, 2, 1]
    art, evs = stored(store, "b-1")
    assert (art["status"], art["version"], art["event_count"]) == ("processed", 2, 1) and evs == {"e-1": 4}
    assert stored(store, "b-2")[1] == {"e-2": 1}
    # a late, older version in a later batch changes nothing
    assert await store.record_geocoded_many([v1]) == [2]
    await store.record_received_many([make_article(id="b-1")])
    assert stored(store, "b-1")[0]["status"] == "processed" and stored(store, "b-1")[1] == {"e-1": 4}
    fresh = [version_of("b-3", [make_event("b-3", id="e-3a")], 1),
             version_of("b-3", [make_event("b-3", id="e-3b", type="impact")], 2)]
    assert await store.record_geocoded_many([fresh[0], fresh[1], fresh[0]]) == [1, 2, 2]
    assert stored(store, "b-3")[1] == {"e-3b": 1}


async def test_a_withdrawn_report_is_retracted_with_its_events_gone_and_a_restored_one_comes_back(store):
    await store.record_received(make_article(id="v-w"))
    event = make_event("v-w", id="e-w")
    await store.record_geocoded(version_of("v-w", [event], 1))
    gone = GeocodedArticle(article_id="v-w", language="en", version=2, withdrawn=True, retracted=["e-w"])
    assert await store.record_geocoded(gone) == 2
    await store.record_received(make_article(id="v-w", version=2, withdrawn=True))  # its received copy, late
    art, evs = stored(store, "v-w")
    assert (art["status"], art["version"], art["event_count"], evs) == ("retracted", 2, 0, {})
    assert await store.record_failed("v-w", "late dead letter", 2) == 2  # a retraction is not undone
    assert stored(store, "v-w")[0]["status"] == "retracted"
    assert await store.record_geocoded(version_of("v-w", [event], 3)) == 3  # the post came back
    art, evs = stored(store, "v-w")
    assert (art["status"], art["version"], evs) == ("processed", 3, {"e-w": 1})
