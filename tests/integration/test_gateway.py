"""The gateway's analyst queries against real SQLite and PostgreSQL stores written by storage:
every filter, sorting by time with stable pages while events arrive, GeoJSON and streamed CSV,
stats, and errors as problem+json."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from shared.messages import Evidence, GeocodedArticle, Location, TimeWindow
from tests.builders import make_article, make_event

pytestmark = pytest.mark.integration

MILLEROVO = Location(mention="Миллерово", name="Millerovo", country_code="RU", admin1_code="RU-ROS",
                     admin1="Rostov Oblast", admin2="Millerovsky District", city="Millerovo", lat=48.92, lon=40.40,
                     precision="city", confidence=0.9)
ROSTOV = Location(mention="Ростовской области", name="Rostov Oblast", country_code="RU", admin1_code="RU-ROS",
                  admin1="Rostov Oblast", lat=47.7, lon=40.9, precision="admin1", confidence=0.9)
KHARKIV = Location(mention="Kharkiv", name="Kharkiv", country_code="UA", admin1_code="UA-63", admin1="Kharkiv Oblast",
                   city="Kharkiv", lat=49.99, lon=36.23, precision="city", confidence=0.9)
NOWHERE = Location(mention="the front line", reason="not in the gazetteer")


def at(day: int, hour: int = 0) -> TimeWindow:
    return TimeWindow(start=datetime(2026, 3, day, hour, tzinfo=UTC), precision="hour")


def ev(article_id: str, id: str, **kw):
    return make_event(article_id, id=id, **kw)


@pytest.fixture
async def stored(store):
    evidence = [Evidence(article_id="a-ru", field="type", span=(0, 10), text="Сбиты БПЛА"),
                Evidence(article_id="a-ru", field="count", span=(11, 20), text="три беспилотника")]
    await store.record_geocoded(GeocodedArticle(article_id="a-ru", language="ru", events=[
        ev("a-ru", "e-mill", location=MILLEROVO, count=3, occurred_at=at(1, 2), evidence=evidence,
           claimed_by="Губернатор Ростовской области"),
        ev("a-ru", "e-ros", type="impact", weapon="missile", location=ROSTOV, count=1, killed=2, injured=5,
           occurred_at=at(2, 10)),
    ]))
    await store.record_geocoded(GeocodedArticle(article_id="a-ua", language="en", events=[
        ev("a-ua", "e-kh", type="attack", location=KHARKIV, count=12, injured=3, occurred_at=at(2, 23),
           claimed_by="Kharkiv Regional Military Administration"),
        ev("a-ua", "e-front", type="debris_fall", location=NOWHERE, count=None, occurred_at=at(3, 1)),
    ]))


async def ids(gateway, **params) -> list[str]:
    resp = await gateway.get("/v1/events", params=params)
    assert resp.status_code == 200, resp.text
    return sorted(e["id"] for e in resp.json()["items"])


@pytest.mark.usefixtures("stored")
async def test_every_filter_narrows_the_events_and_they_combine(gateway):
    assert await ids(gateway, admin2="millerovsky district") == ["e-mill"]
    assert await ids(gateway, claimed_by="ГУБЕРНАТОР") == ["e-mill"]
    assert await ids(gateway, claimed_by="military") == ["e-kh"]
    assert await ids(gateway, min_count=3) == ["e-kh", "e-mill"]
    assert await ids(gateway, precision="admin1") == ["e-ros"]
    assert await ids(gateway, precision="none") == ["e-front"]
    assert await ids(gateway, type="attack,impact") == ["e-kh", "e-ros"]
    assert await ids(gateway, admin1="ru-ros", weapon="uav") == ["e-mill"]
    assert await ids(gateway, country="RU,UA", min_count=2, since="2026-03-02T00:00:00Z") == ["e-kh"]
    assert await ids(gateway, article_id="a-ua", precision="city") == ["e-kh"]


@pytest.mark.usefixtures("stored")
async def test_q_searches_evidence_and_place_names_in_any_case_and_script(gateway):
    assert await ids(gateway, q="беспилотник") == ["e-mill"]  # evidence text, Cyrillic, other case
    assert await ids(gateway, q="БПЛА") == ["e-mill"]
    assert await ids(gateway, q="миллерово") == ["e-mill"]  # the place as mentioned
    assert await ids(gateway, q="rostov") == ["e-mill", "e-ros"]  # the resolved admin1 name
    assert await ids(gateway, q="FRONT LINE") == ["e-front"]
    assert await ids(gateway, q="100%_") == []  # LIKE wildcards are literal text


@pytest.mark.usefixtures("stored")
async def test_near_keeps_events_within_the_great_circle_distance(gateway):
    # From (48.15, 40.4): the Rostov point (47.7, 40.9) is 62 km away, Millerovo 86 km, Kharkiv 366 km.
    assert await ids(gateway, near="48.15,40.4,63") == ["e-ros"]
    assert await ids(gateway, near="48.15,40.4,61") == []
    assert await ids(gateway, near="48.15,40.4,100") == ["e-mill", "e-ros"]
    assert await ids(gateway, near="48.15,40.4,400") == ["e-kh", "e-mill", "e-ros"]
    assert await ids(gateway, near="48.15,40.4,100", type="interception") == ["e-mill"]


@pytest.mark.usefixtures("stored")
async def test_region_keeps_events_inside_the_outline_the_map_draws(gateway):
    assert await ids(gateway, region="RU-ROS") == ["e-mill", "e-ros"]
    assert await ids(gateway, region="ua-63") == ["e-kh"]
    assert await ids(gateway, region="RU-BEL") == []  # a neighbour: nothing there
    assert await ids(gateway, region="RU-ROS", bbox="40,48.5,41,49.5") == ["e-mill"]
    stats = (await gateway.get("/v1/stats", params={"region": "RU-ROS"})).json()["groups"]
    assert stats[0]["events"] == 2


async def test_time_sort_pages_see_every_event_once_while_events_arrive(store, gateway):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    await store.record_geocoded(GeocodedArticle(article_id="a-1", language="en", events=[
        ev("a-1", f"e-{i}", occurred_at=TimeWindow(start=start + timedelta(hours=i % 4)),
           location=Location(name=f"P{i}", lat=50.0, lon=30.0 + i / 10)) for i in range(9)]))
    for sort in ("time", "-time"):
        seen, times, cursor, n = [], [], None, 0
        while True:
            params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await gateway.get("/v1/events", params=params)).json()
            seen += [e["id"] for e in page["items"]]
            times += [e["occurred_at"]["start"] for e in page["items"]]
            n += 1
            if n == 2:  # between page fetches: one event ahead of the walk, one behind it
                ahead, behind = (start + timedelta(days=1), start - timedelta(days=1))
                if sort == "-time":
                    ahead, behind = behind, ahead
                await store.record_geocoded(GeocodedArticle(article_id=f"new-{sort}", language="en", events=[
                    ev(f"new-{sort}", f"ahead-{sort}", occurred_at=TimeWindow(start=ahead),
                       location=Location(name="A", lat=1.0, lon=1.0)),
                    ev(f"new-{sort}", f"behind-{sort}", occurred_at=TimeWindow(start=behind),
                       location=Location(name="B", lat=2.0, lon=2.0))]))
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)), f"{sort}: an event was repeated"
        assert {f"e-{i}" for i in range(9)} <= set(seen), f"{sort}: an event was skipped"
        assert f"ahead-{sort}" in seen and f"behind-{sort}" not in seen
        assert times == sorted(times, reverse=sort == "-time")


async def test_a_cursor_from_another_sort_is_refused(store, gateway):
    await store.record_geocoded(GeocodedArticle(article_id="a-1", language="en", events=[
        ev("a-1", f"e-{i}", location=Location(name=f"P{i}")) for i in range(3)]))
    cursor = (await gateway.get("/v1/events", params={"limit": 1})).json()["next_cursor"]
    resp = await gateway.get("/v1/events", params={"limit": 1, "sort": "time", "cursor": cursor})
    assert resp.status_code == 422 and resp.json()["errors"][0]["name"] == "cursor"


@pytest.mark.usefixtures("stored")
async def test_geojson_is_a_feature_collection_in_lon_lat_order(gateway):
    by_path = await gateway.get("/v1/events.geojson", params={"admin1": "RU-ROS,UA-63", "precision": "city,none"})
    by_accept = await gateway.get("/v1/events", params={"admin1": "RU-ROS,UA-63", "precision": "city,none"},
                                  headers={"Accept": "application/geo+json"})
    for resp in (by_path, by_accept):
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/geo+json")
        doc = resp.json()
        assert doc["type"] == "FeatureCollection"
        points = {f["id"]: f["geometry"]["coordinates"] for f in doc["features"]}
        assert points == {"e-mill": [40.40, 48.92], "e-kh": [36.23, 49.99]}
        assert all(f["type"] == "Feature" and f["properties"]["id"] == f["id"] for f in doc["features"])
    plain = await gateway.get("/v1/events", headers={"Accept": "application/json, application/geo+json;q=0.5"})
    assert "items" in plain.json()


@pytest.mark.usefixtures("stored")
async def test_unresolved_places_have_a_null_geometry(gateway):
    doc = (await gateway.get("/v1/events.geojson", params={"precision": "none"})).json()
    assert [(f["id"], f["geometry"]) for f in doc["features"]] == [("e-front", None)]


async def test_csv_export_streams_every_matching_event(store, gateway):
    for a in range(5):  # more events than one chunk of the export
        await store.record_geocoded(GeocodedArticle(article_id=f"a-{a}", language="en", events=[
            ev(f"a-{a}", f"e-{a}-{i}", location=Location(name=f"P{i}", admin1_code="RU-BEL", country_code="RU"),
               claimed_by="=HYPERLINK(\"x\")" if i == 0 else None) for i in range(250)]))
    async with gateway.stream("GET", "/v1/events.csv", params={"admin1": "RU-BEL"}) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
        chunks = [chunk async for chunk in resp.aiter_text()]
    rows = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert len(rows) == 1250 and len({r["id"] for r in rows}) == 1250
    assert {r["claimed_by"] for r in rows} == {"", "'=HYPERLINK(\"x\")"}  # no formula reaches a spreadsheet
    limited = await gateway.get("/v1/events.csv", params={"admin1": "RU-BEL", "limit": 7})
    assert len(list(csv.DictReader(io.StringIO(limited.text)))) == 7


@pytest.mark.usefixtures("stored")
async def test_stats_group_and_sum_under_the_same_filters(gateway):
    resp = await gateway.get("/v1/stats", params={"group_by": "day,type", "country": "RU,UA"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["groups"] == [
        {"day": "2026-03-01", "type": "interception", "events": 1, "count": 3, "killed": 0, "injured": 0},
        {"day": "2026-03-02", "type": "attack", "events": 1, "count": 12, "killed": 0, "injured": 3},
        {"day": "2026-03-02", "type": "impact", "events": 1, "count": 1, "killed": 2, "injured": 5},
    ]
    by_admin1 = (await gateway.get("/v1/stats", params={"group_by": "admin1"})).json()["groups"]
    assert {g["admin1"]: (g["events"], g["count"]) for g in by_admin1} == {
        None: (1, 0), "RU-ROS": (2, 4), "UA-63": (1, 12)}
    overall = (await gateway.get("/v1/stats", params={"q": "rostov"})).json()["groups"]
    assert overall == [{"events": 2, "count": 4, "killed": 2, "injured": 5}]


@pytest.mark.usefixtures("stored")
async def test_an_article_shows_its_events_with_their_evidence_spans(gateway):
    doc = (await gateway.get("/v1/articles/a-ru")).json()
    mill = next(e for e in doc["events"] if e["id"] == "e-mill")
    assert [(e["field"], e["span"], e["text"]) for e in mill["evidence"]] == [
        ("type", [0, 10], "Сбиты БПЛА"), ("count", [11, 20], "три беспилотника")]


@pytest.mark.parametrize("params, name", [
    ({"near": "48,40"}, "near"), ({"near": "95,40,10"}, "near"), ({"near": "48,40,-1"}, "near"),
    ({"near": "nan,40,10"}, "near"), ({"bbox": "1,2,3"}, "bbox"), ({"type": "attack,explosion"}, "type"),
    ({"precision": "village"}, "precision"), ({"min_count": -1}, "min_count"), ({"q": "x" * 300}, "q"),
    ({"claimed_by": "a\x00b"}, "claimed_by"), ({"sort": "newest"}, "sort"), ({"admin1": "RU-ROS,Rostov"}, "admin1"),
    ({"since": "9999-12-31T23:00:00-05:00"}, "since"), ({"cursor": "e30"}, "cursor"),
    ({"region": "Rostov"}, "region"), ({"region": "US-CA"}, "region"),
])
async def test_bad_parameters_are_problems_naming_the_parameter(gateway, params, name):
    resp = await gateway.get("/v1/events", params=params)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    doc = resp.json()
    assert doc["status"] == 422 and doc["title"] and doc["detail"]
    assert [e["name"] for e in doc["errors"]] == [name]


async def test_unknown_things_are_404_problems_and_stats_check_group_by(gateway):
    for path in ("/v1/events/nope", "/v1/articles/nope", "/v1/nothing-here"):
        resp = await gateway.get(path)
        assert resp.status_code == 404 and resp.headers["content-type"].startswith("application/problem+json")
    resp = await gateway.get("/v1/stats", params={"group_by": "day,colour"})
    assert resp.status_code == 422 and "colour" in resp.json()["detail"]


async def test_an_article_shows_where_it_came_from_and_what_ingestion_found(store, gateway):
    fetched = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
    await store.record_received(make_article(id="telegram:nightsky:42", origin="telegram", channel="nightsky",
                                             author="Night Sky", fetched_at=fetched, detected_language="uk",
                                             language_confidence=0.93, near_duplicate_of="telegram:nightsky:40",
                                             version=2))
    doc = (await gateway.get("/v1/articles/telegram:nightsky:42")).json()
    assert {k: doc[k] for k in ("origin", "channel", "author", "detected_language", "near_duplicate_of",
                                "version")} == {"origin": "telegram", "channel": "nightsky", "author": "Night Sky",
                                                "detected_language": "uk",
                                                "near_duplicate_of": "telegram:nightsky:40", "version": 2}
    assert doc["language_confidence"] == pytest.approx(0.93)
    assert datetime.fromisoformat(doc["fetched_at"]) == fetched
