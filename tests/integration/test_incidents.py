"""Incidents from `incidents.v1` in the store (storage's writer keeps the highest version of each id)
and at the gateway (GET /v1/incidents in JSON, GeoJSON and CSV, /v1/incidents/{id} with its claims,
/v1/stats?of=incidents), on SQLite and PostgreSQL. The messages are built here the way the incidents
service publishes them: the whole state each time."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.gateway.api.app import make_read_engine
from services.gateway.filters import INCIDENTS, EventFilter, IncidentFilter, Near, accepts_incident, where
from services.gateway.regions import Regions
from services.storage.app import build_runner
from services.storage.handlers import handle_incidents_updated
from services.storage.settings import StorageSettings
from shared.messages import Evidence, GeocodedArticle, Incident, Location, Reconciled, TimeWindow
from shared.store.tables import incident_claims, incidents
from shared.topics import INCIDENTS as INCIDENTS_TOPIC
from tests.builders import make_claim, make_event, make_incident, make_incident_updated

pytestmark = pytest.mark.integration

KHARKIV = Location(mention="Харків", name="Kharkiv", country_code="UA", admin1_code="UA-63", admin1="Kharkiv Oblast",
                   admin2="Kharkivskyi raion", city="Kharkiv", lat=49.99, lon=36.23, precision="city", confidence=0.9)
MILLEROVO = Location(mention="Миллерово", name="Millerovo", country_code="RU", admin1_code="RU-ROS",
                     admin1="Rostov Oblast", city="Millerovo", lat=48.92, lon=40.40, precision="city", confidence=0.9)
ROSTOV = Location(mention="Ростовской областью", name="Rostov Oblast", country_code="RU", admin1_code="RU-ROS",
                  admin1="Rostov Oblast", lat=47.7, lon=40.9, precision="admin1", confidence=0.9)
T0 = datetime(2026, 3, 14, 1, tzinfo=UTC)


def event(article_id: str, event_id: str, location: Location, text: str, **kw):
    return make_event(article_id, id=event_id, location=location, published_at=kw.pop("published_at", T0), **kw,
                      evidence=[Evidence(article_id=article_id, field="count", span=(0, len(text)), text=text)])


# Three reports of one strike on Kharkiv in three languages; one of Millerovo; the ministry's claim
# over the Rostov region that supports the Millerovo incident without moving it.
EV = {
    "e-en": event("a-en", "e-en", KHARKIV, "four drones over Kharkiv", count=4, claimed_by="Kharkiv RMA",
                  source="kyivindependent", published_at=T0 + timedelta(hours=1)),
    "e-uk": event("a-uk", "e-uk", KHARKIV, "п'ять дронів", count=5, killed=1, claimed_by="Олег Синєгубов",
                  source="suspilne", published_at=T0 + timedelta(hours=2)),
    "e-ru": event("a-ru", "e-ru", KHARKIV, "пять беспилотников", count=5, source="ria", published_at=T0),
    "e-mill": event("a-mil", "e-mill", MILLEROVO, "три беспилотника над Миллерово", type="attack", count=3,
                    claimed_by="Губернатор Ростовской области", source="gov-ros"),
    "e-mod": event("a-mod", "e-mod", ROSTOV, "над Ростовской областью", type="attack", count=7,
                   claimed_by="Минобороны", source="mil.ru"),
}


def kharkiv(version: int = 1, claims: tuple[str, ...] = ("e-en", "e-uk", "e-ru"), **kw) -> Incident:
    return make_incident("inc-kh", [make_claim(EV[c]) for c in claims], version=version,
                         count=Reconciled(value=5, event_id="e-uk"), count_range=(4, 5),
                         killed=Reconciled(value=1, event_id="e-uk"), damage=Reconciled(value=False),
                         occurred_at=TimeWindow(start=T0, precision="night"), **kw)


def millerovo(version: int = 1) -> Incident:
    return make_incident("inc-mil", [make_claim(EV["e-mill"]), make_claim(EV["e-mod"], containing_only=True)],
                         version=version, type="attack",
                         occurred_at=TimeWindow(start=T0 + timedelta(days=7), precision="night"))


RETRACTED = make_incident("inc-gone", [], version=3, change="retracted", status="retracted",
                          location=KHARKIV, occurred_at=TimeWindow(start=T0 - timedelta(days=1)))
MERGED = make_incident("inc-dup", [], version=2, change="merged", status="merged", merged_into="inc-kh",
                       location=KHARKIV, occurred_at=TimeWindow(start=T0))


async def put(store, *states: Incident) -> None:
    await handle_incidents_updated([make_incident_updated(s) for s in states], store=store)


@pytest.fixture
async def stored(store):
    for aid in ("a-en", "a-uk", "a-ru", "a-mil", "a-mod"):  # the events behind the claims (q searches them)
        await store.record_geocoded(GeocodedArticle(article_id=aid, language="en",
                                                    events=[e for e in EV.values() if e.article_id == aid]))
    await put(store, kharkiv(), millerovo(), RETRACTED, MERGED)


async def ids(gateway, path="/v1/incidents", **params) -> list[str]:
    resp = await gateway.get(path, params=params)
    assert resp.status_code == 200, resp.text
    return sorted(i["id"] for i in resp.json()["items"])


def test_storage_subscribes_to_the_incident_topic(tmp_path):
    runner = build_runner(StorageSettings(_env_file=None, database_url=f"sqlite:///{tmp_path / 's.db'}"))
    assert INCIDENTS_TOPIC in [s.topic for s in runner.subscriptions.values()]


async def test_the_store_keeps_the_highest_version_and_ignores_repeats_and_older_ones(store, gateway):
    await put(store, kharkiv(version=2))
    await put(store, kharkiv(version=2), kharkiv(version=1))  # a redelivery and a late older state
    doc = (await gateway.get("/v1/incidents/inc-kh")).json()
    assert doc["version"] == 2 and [c["event_id"] for c in doc["claims"]] == ["e-en", "e-uk", "e-ru"]
    # a newer version moves the claims: the Russian report withdrew its claim
    await put(store, kharkiv(version=3, claims=("e-en", "e-uk"), change="updated", sources=2))
    doc = (await gateway.get("/v1/incidents/inc-kh")).json()
    assert (doc["version"], doc["sources"], doc["claim_count"]) == (3, 2, 2)
    assert [c["event_id"] for c in doc["claims"]] == ["e-en", "e-uk"]
    # in one batch the highest version wins whatever the order
    await put(store, kharkiv(version=5, claims=("e-en",), sources=1), kharkiv(version=4))
    assert (await gateway.get("/v1/incidents/inc-kh")).json()["version"] == 5
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(incidents)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(incident_claims)).scalar() == 1


async def test_a_newer_state_changes_moves_and_adds_claims_as_its_message_says(store, gateway):
    await put(store, kharkiv(version=1, claims=("e-en", "e-uk")))
    # the Ukrainian report's next version raises its count; the Russian report's claim comes first
    uk_again = make_claim(EV["e-uk"], count=6, article_version=2)
    state = make_incident("inc-kh", [make_claim(EV["e-ru"]), make_claim(EV["e-en"]), uk_again], version=2,
                          change="updated")
    await put(store, state)
    doc = (await gateway.get("/v1/incidents/inc-kh")).json()
    assert [(c["event_id"], c["count"], c["article_version"]) for c in doc["claims"]] == [
        ("e-ru", 5, 1), ("e-en", 4, 1), ("e-uk", 6, 2)]
    resp = await gateway.get("/v1/incidents", params={"article_id": "a-ru"})
    assert [i["id"] for i in resp.json()["items"]] == ["inc-kh"]


@pytest.mark.usefixtures("stored")
async def test_an_incident_shows_its_claims_and_its_reconciled_values(gateway):
    resp = await gateway.get("/v1/incidents/inc-kh")
    assert resp.status_code == 200
    doc = resp.json()
    assert (doc["status"], doc["sources"], doc["count"], doc["count_range"], doc["killed"], doc["damage"]) == (
        "active", 3, 5, [4, 5], 1, False)
    assert doc["reconciled_from"]["count"] == "e-uk" and doc["reconciled_from"]["killed"] == "e-uk"
    uk = next(c for c in doc["claims"] if c["event_id"] == "e-uk")
    assert (uk["article_id"], uk["claimed_by"], uk["count"], uk["killed"]) == ("a-uk", "Олег Синєгубов", 5, 1)
    assert uk["published_at"].startswith("2026-03-14T03:00") and uk["evidence"][0]["text"] == "п'ять дронів"
    assert doc["first_reported_at"].startswith("2026-03-14T01:00")
    assert doc["last_reported_at"].startswith("2026-03-14T03:00")


@pytest.mark.usefixtures("stored")
async def test_a_merged_incident_points_to_the_survivor_and_a_retracted_one_says_so(gateway):
    merged = await gateway.get("/v1/incidents/inc-dup")
    assert merged.status_code == 200
    assert (merged.json()["status"], merged.json()["merged_into"]) == ("merged", "inc-kh")
    assert merged.headers["link"] == '</v1/incidents/inc-kh>; rel="canonical"'
    retracted = (await gateway.get("/v1/incidents/inc-gone")).json()
    assert (retracted["status"], retracted["claims"]) == ("retracted", [])
    missing = await gateway.get("/v1/incidents/nope")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


@pytest.mark.usefixtures("stored")
async def test_the_list_takes_the_event_filters_min_sources_article_id_and_status(gateway):
    assert await ids(gateway) == ["inc-kh", "inc-mil"]  # active only, by default
    assert await ids(gateway, status="any") == ["inc-dup", "inc-gone", "inc-kh", "inc-mil"]
    assert await ids(gateway, status="retracted,merged") == ["inc-dup", "inc-gone"]
    assert await ids(gateway, min_sources=3) == ["inc-kh"]
    assert await ids(gateway, min_sources=2) == ["inc-kh", "inc-mil"]
    assert await ids(gateway, article_id="a-uk") == ["inc-kh"]
    assert await ids(gateway, article_id="a-mod") == ["inc-mil"]  # a containing-area claim supports it
    assert await ids(gateway, claimed_by="синєгуб") == ["inc-kh"]  # any claim's claimant
    assert await ids(gateway, q="беспилотник") == ["inc-kh", "inc-mil"]  # any claim's evidence
    assert await ids(gateway, q="дронів") == ["inc-kh"]
    assert await ids(gateway, admin1="RU-ROS") == ["inc-mil"]  # the incident's own place, not the claim's
    assert await ids(gateway, type="attack") == ["inc-mil"]
    assert await ids(gateway, min_count=5) == ["inc-kh"]  # the reconciled count
    assert await ids(gateway, near="49.99,36.23,5") == ["inc-kh"]
    assert await ids(gateway, bbox="40,48,41,49.5") == ["inc-mil"]
    assert await ids(gateway, region="UA-63", status="any") == ["inc-dup", "inc-gone", "inc-kh"]
    assert await ids(gateway, since="2026-03-15T00:00:00Z") == ["inc-mil"]
    assert await ids(gateway, until="2026-03-15T00:00:00Z", precision="city", country="UA") == ["inc-kh"]
    bad = await gateway.get("/v1/incidents", params={"min_sources": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["name"] == "min_sources"
    bad = await gateway.get("/v1/incidents", params={"status": "open"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["name"] == "status"


async def test_pages_walk_every_incident_once_in_every_sort(store, gateway):
    states = [make_incident(f"inc-{i}", [make_claim(make_event(f"a-{i}", id=f"e-{i}"))],
                            occurred_at=TimeWindow(start=T0 + timedelta(hours=i % 3))) for i in range(7)]
    await put(store, *states)
    for sort in ("stored", "time", "-time"):
        seen, times, cursor = [], [], None
        while True:
            params = {"sort": sort, "limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await gateway.get("/v1/incidents", params=params)).json()
            seen += [i["id"] for i in page["items"]]
            times += [i["occurred_at"]["start"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(s.id for s in states) and len(seen) == 7
        if sort != "stored":
            assert times == sorted(times, reverse=sort == "-time")
    assert [i["id"] for i in (await gateway.get("/v1/incidents", params={"limit": 7})).json()["items"]] == [
        s.id for s in states]  # storage order
    # an update keeps an incident's place in the storage order
    await put(store, make_incident("inc-0", states[0].claims, version=2, change="updated"))
    assert (await gateway.get("/v1/incidents", params={"limit": 1})).json()["items"][0]["id"] == "inc-0"


@pytest.mark.usefixtures("stored")
async def test_geojson_and_csv_carry_the_incidents(gateway):
    by_path = await gateway.get("/v1/incidents.geojson")
    by_accept = await gateway.get("/v1/incidents", headers={"Accept": "application/geo+json"})
    for resp in (by_path, by_accept):
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/geo+json")
        points = {f["id"]: f["geometry"]["coordinates"] for f in resp.json()["features"]}
        assert points == {"inc-kh": [36.23, 49.99], "inc-mil": [40.40, 48.92]}
        assert {f["properties"]["sources"] for f in resp.json()["features"]} == {3, 2}
    resp = await gateway.get("/v1/incidents.csv", params={"status": "any"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(resp.text))}
    assert set(rows) == {"inc-kh", "inc-mil", "inc-gone", "inc-dup"}
    kh = rows["inc-kh"]
    assert (kh["count"], kh["count_min"], kh["count_max"], kh["sources"], kh["claim_count"]) == (
        "5", "4", "5", "3", "3")
    assert (rows["inc-dup"]["status"], rows["inc-dup"]["merged_into"]) == ("merged", "inc-kh")


@pytest.mark.usefixtures("stored")
async def test_stats_count_incidents_instead_of_events(gateway):
    events = (await gateway.get("/v1/stats", params={"group_by": "admin1"})).json()["groups"]
    assert {g["admin1"]: g["events"] for g in events} == {"UA-63": 3, "RU-ROS": 2}
    resp = await gateway.get("/v1/stats", params={"group_by": "admin1", "of": "incidents"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["groups"] == [
        {"admin1": "RU-ROS", "incidents": 1, "count": 3, "killed": 0, "injured": 0},
        {"admin1": "UA-63", "incidents": 1, "count": 5, "killed": 1, "injured": 0}]
    overall = (await gateway.get("/v1/stats", params={"of": "incidents", "status": "any", "min_sources": 1})).json()
    assert overall["groups"][0]["incidents"] == 2  # the retracted and the merged one have no sources
    bad = await gateway.get("/v1/stats", params={"min_sources": 2})
    assert bad.status_code == 422 and bad.json()["errors"][0]["name"] == "min_sources"


FILTER_CASES = [
    IncidentFilter(), IncidentFilter(statuses=()), IncidentFilter(article_id="a-mod"),
    IncidentFilter(claimed_by="RMA"), IncidentFilter(q="беспилотник"), IncidentFilter(q="миллер дрон"),
    IncidentFilter(min_sources=3), IncidentFilter(types=("attack",), statuses=()),
    IncidentFilter(near=Near(48.9, 40.4, 20)), IncidentFilter(bbox=(36, 49, 37, 50), statuses=("merged",)),
    IncidentFilter(since=T0 + timedelta(hours=1)), IncidentFilter(until=T0 + timedelta(hours=1), statuses=()),
    IncidentFilter(precisions=("city", None), admin2="KHARKIVSKYI RAION"), IncidentFilter(min_count=4),
    IncidentFilter(region=Regions().get("RU-ROS")),
]


@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize("case", range(len(FILTER_CASES)))
def test_sql_and_the_live_stream_agree_on_incidents(db_url, case):
    """The two readings of the filter definition select the same incidents."""
    flt = FILTER_CASES[case]
    states = {s.id: s for s in (kharkiv(), millerovo(), RETRACTED, MERGED)}
    engine = make_read_engine(db_url, Regions())
    with engine.connect() as conn:
        got = sorted(r.id for r in conn.execute(select(incidents.c.id).where(*where(flt, conn.dialect.name,
                                                                                     INCIDENTS))))
    engine.dispose()
    now = datetime.now(UTC)
    assert got == sorted(i for i, s in states.items() if accepts_incident(flt, s, now))
    assert isinstance(flt, EventFilter)
