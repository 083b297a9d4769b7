"""Storage's store and the gateway's queries against real SQLite and PostgreSQL: idempotent
writes, replacement of an article's event set, failure status, filters and cursor pagination."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.storage.adapters.sql import SqlIncidentStore, make_engine
from shared.kafka.errors import TransientError
from shared.messages import GeocodedArticle, Location, TimeWindow
from tests.builders import make_article, make_event

pytestmark = pytest.mark.integration

ROSTOV = Location(mention="Millerovo", name="Millerovo", country_code="RU", admin1_code="RU-ROS",
                  admin1="Rostov Oblast", lat=48.93, lon=40.40, precision="city", confidence=0.9)
KHARKIV = Location(mention="Kharkiv", name="Kharkiv", country_code="UA", admin1_code="UA-63",
                   admin1="Kharkiv Oblast", lat=49.99, lon=36.23, precision="city", confidence=0.9)


def geocoded(article_id: str, events) -> GeocodedArticle:
    return GeocodedArticle(article_id=article_id, language="en", events=events)


async def test_redelivered_results_do_not_duplicate_rows(store, gateway):
    await store.record_received(make_article(id="a-1"))
    result = geocoded("a-1", [make_event("a-1"), make_event("a-1", id="e-2", type="debris_fall", location=ROSTOV)])
    for _ in range(3):
        await store.record_geocoded(result)
    page = (await gateway.get("/v1/events", params={"article_id": "a-1"})).json()
    assert len(page["items"]) == 2
    article = (await gateway.get("/v1/articles/a-1")).json()
    assert article["status"] == "processed" and len(article["events"]) == 2


async def test_a_new_result_replaces_the_articles_previous_events(store, gateway):
    await store.record_geocoded(geocoded("a-1", [make_event("a-1"), make_event("a-1", id="e-old", location=ROSTOV)]))
    await store.record_geocoded(geocoded("a-1", [make_event("a-1", count=3)]))
    items = (await gateway.get("/v1/events", params={"article_id": "a-1"})).json()["items"]
    assert [(e["count"], e["location"]["admin1_code"]) for e in items] == [(3, "RU-SMO")]


async def test_received_after_processed_keeps_processed_status(store, gateway):
    await store.record_geocoded(geocoded("a-1", [make_event("a-1")]))
    await store.record_received(make_article(id="a-1", title="late copy"))
    doc = (await gateway.get("/v1/articles/a-1")).json()
    assert doc["status"] == "processed" and doc["title"] == "late copy"


async def test_failed_article_shows_the_reason_and_pending_is_reported(store, gateway):
    await store.record_received(make_article(id="a-pending"))
    await store.record_received(make_article(id="a-bad"))
    await store.record_failed("a-bad", "extraction: article text is empty")
    assert (await gateway.get("/v1/articles/a-pending")).json()["status"] == "pending"
    bad = (await gateway.get("/v1/articles/a-bad")).json()
    assert bad["status"] == "failed" and bad["error"] == "extraction: article text is empty"
    await store.record_failed("a-pending", "late failure")
    await store.record_geocoded(geocoded("a-ok", []))
    await store.record_failed("a-ok", "a stale dead letter")
    assert (await gateway.get("/v1/articles/a-ok")).json()["status"] == "processed"


async def test_event_filters_combine(store, gateway):
    t1 = TimeWindow(start=datetime(2026, 3, 1, tzinfo=UTC), end=datetime(2026, 3, 1, 6, tzinfo=UTC), precision="night")
    t2 = TimeWindow(start=datetime(2026, 3, 5, tzinfo=UTC), precision="day")
    await store.record_geocoded(geocoded("a-1", [
        make_event("a-1", id="e-smo", occurred_at=t1),
        make_event("a-1", id="e-ros", type="impact", weapon="missile", location=ROSTOV, occurred_at=t2),
        make_event("a-1", id="e-kh", type="debris_fall", location=KHARKIV, occurred_at=t2),
    ]))

    async def ids(**params):
        resp = await gateway.get("/v1/events", params=params)
        assert resp.status_code == 200, resp.text
        return sorted(e["id"] for e in resp.json()["items"])

    assert await ids(admin1="RU-ROS") == ["e-ros"]
    assert await ids(country="ua") == ["e-kh"]
    assert await ids(type="interception") == ["e-smo"]
    assert await ids(weapon="missile") == ["e-ros"]
    assert await ids(since="2026-03-02T00:00:00Z") == ["e-kh", "e-ros"]
    assert await ids(until="2026-03-02T00:00:00Z") == ["e-smo"]
    assert await ids(bbox="39,48,41,50") == ["e-ros"]
    assert await ids(country="RU", since="2026-03-02T00:00:00Z", type="impact") == ["e-ros"]
    assert await ids(article_id="nope") == []


async def test_cursor_pages_cover_everything_once_even_while_rows_arrive(store, gateway):
    await store.record_geocoded(geocoded("a-1", [make_event("a-1", id=f"e-{i:02d}") for i in range(7)]))
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await gateway.get("/v1/events", params=params)).json()
        seen += [e["id"] for e in page["items"]]
        if not seen[3:]:  # after the first page, more events arrive
            await store.record_geocoded(geocoded("a-2", [make_event("a-2", id="e-new")]))
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 8


@pytest.mark.parametrize("params, fragment", [
    ({"admin1": "Rostov"}, "admin1"), ({"bbox": "1,2,3"}, "bbox"), ({"bbox": "10,10,5,5"}, "bbox"),
    ({"limit": 0}, "limit"), ({"limit": 5000}, "limit"), ({"type": "explosion"}, "type"),
    ({"since": "yesterday"}, "since"), ({"cursor": "garbage!"}, "cursor"),
    ({"since": "2026-03-05T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "since"),
])
async def test_bad_query_parameters_get_a_4xx_naming_the_problem(gateway, params, fragment):
    resp = await gateway.get("/v1/events", params=params)
    assert 400 <= resp.status_code < 500
    assert fragment in resp.json()["error"]


async def test_unknown_ids_are_404(gateway):
    assert (await gateway.get("/v1/articles/nope")).status_code == 404
    assert (await gateway.get("/v1/events/nope")).status_code == 404
    assert (await gateway.get("/readyz")).status_code == 200


async def test_an_unreachable_database_is_a_transient_fault(tmp_path):
    store = SqlIncidentStore(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"))
    with pytest.raises(TransientError):
        await store.record_received(make_article())


async def test_times_with_an_offset_are_compared_as_the_moments_they_are(store, gateway):
    """01:00 at UTC+3 on 1 March is 22:00 UTC on 28 February, on SQLite as on PostgreSQL."""
    moscow = timezone(timedelta(hours=3))
    start = datetime(2026, 3, 1, 1, 0, tzinfo=moscow)
    await store.record_geocoded(geocoded("a-tz", [make_event("a-tz", occurred_at=TimeWindow(start=start))]))

    async def ids(**params: str) -> list[str]:
        return [e["article_id"] for e in (await gateway.get("/v1/events", params=params)).json()["items"]]

    assert await ids(since="2026-02-28T21:30:00Z", until="2026-02-28T22:30:00Z") == ["a-tz"]
    assert await ids(since="2026-03-01T00:00:00Z") == []
    stats = (await gateway.get("/v1/stats", params={"group_by": "day"})).json()
    assert [(g["day"], g["events"]) for g in stats["groups"]] == [("2026-02-28", 1)]
