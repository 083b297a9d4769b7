"""The spatial filters (`bbox`, `near`, `region`) through each store's own spatial index (PostGIS on
PostgreSQL, the R*Tree on SQLite, migration 0006_spatial): every page walk returns exactly the
events the live stream's in-memory meaning of the filter accepts (services/gateway/live.accepts),
with boxes on the store's points, across the antimeridian, up to the poles and around the world."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, update

from bench.gateway import make_rows
from services.gateway.api.app import make_read_engine
from services.gateway.filters import EventFilter, Near
from services.gateway.live import accepts
from services.gateway.queries import list_event_rows
from services.gateway.regions import Regions
from shared.messages import IncidentEvent
from shared.store.tables import articles, events

pytestmark = pytest.mark.integration

REGIONS = Regions()
# (lat, lon) of extra events where boxes and circles have their edges: the poles, the antimeridian,
# exactly on a box's corner, and on the outline of a region (Kharkiv city, well inside UA-63).
EDGES = [(90.0, 0.0), (-90.0, 10.0), (89.9, 179.99), (10.0, 179.95), (10.0, -179.95), (50.7, 35.2), (52.7, 37.2),
         (49.99, 36.23), (0.0, 0.0)]
FILTERS = {
    "box of a region": EventFilter(bbox=(35.2, 50.7, 37.2, 52.7), weapons=("uav",)),
    "box with an event on each corner": EventFilter(bbox=(35.2, 50.7, 37.2, 52.7)),
    "a degenerate box on one point": EventFilter(bbox=(36.23, 49.99, 36.23, 49.99)),
    "the whole world": EventFilter(bbox=(-180, -90, 180, 90)),
    "a band wider than a hemisphere": EventFilter(bbox=(-170, 5, 179.97, 60)),
    "up to the pole": EventFilter(bbox=(-180, 80, 180, 90)),
    "near a point": EventFilter(near=Near(51.7, 36.2, 50)),
    "near, with types": EventFilter(near=Near(51.7, 36.2, 80), types=("attack", "impact")),
    "near, across the antimeridian": EventFilter(near=Near(10.0, 179.99, 30)),
    "near the pole": EventFilter(near=Near(89.95, 90.0, 20)),
    "a region's outline": EventFilter(region=REGIONS.get("RU-BEL")),
    "a region, with a type": EventFilter(region=REGIONS.get("UA-63"), types=("interception",)),
    "region and box together": EventFilter(region=REGIONS.get("RU-KRS"), bbox=(35.0, 51.0, 36.5, 52.0)),
}


@pytest.fixture
def filled(db_url):
    arts, rows = make_rows(2400)
    for n, (lat, lon) in enumerate(EDGES):  # move some events to the edges; one loses its point
        rows[n].update(lat=lat, lon=lon)
        rows[n]["body"] = {**rows[n]["body"], "location": {**rows[n]["body"]["location"], "lat": lat, "lon": lon}}
    rows[len(EDGES)].update(lat=None, lon=None)
    rows[len(EDGES)]["body"]["location"].update(lat=None, lon=None, precision=None)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(articles.insert(), arts)
        conn.execute(events.insert(), rows)
    engine.dispose()
    return db_url, rows


def _walk(url: str, flt: EventFilter, sort: str = "stored") -> list[str]:
    engine = make_read_engine(url, REGIONS)
    seen: list[str] = []
    cursor = None
    try:
        with engine.connect() as conn:
            while True:
                page, cursor = list_event_rows(conn, flt=flt, limit=97, cursor=cursor, sort=sort)
                seen += [r.id for r in page]
                if cursor is None:
                    return seen
    finally:
        engine.dispose()


def _expected(rows: list[dict], flt: EventFilter) -> list[str]:
    now = datetime.now(UTC)
    return [r["id"] for r in rows if accepts(flt, IncidentEvent.model_validate(r["body"]), now)]


@pytest.mark.parametrize("name", list(FILTERS))
def test_spatial_filters_return_what_the_live_stream_would(filled, name):
    url, rows = filled
    flt = FILTERS[name]
    assert _walk(url, flt) == _expected(rows, flt)  # storage order is insertion order here


def test_time_sorted_pages_of_a_region_hold_the_same_events(filled):
    url, rows = filled
    flt = FILTERS["a region's outline"]
    newest_first = _walk(url, flt, sort="-time")
    assert sorted(newest_first) == sorted(_expected(rows, flt)) and len(newest_first) > 97


def test_an_event_that_moves_leaves_its_old_place_in_the_index(filled):
    url, rows = filled
    moved, gone = rows[-1]["id"], rows[-2]["id"]
    gulf = EventFilter(near=Near(1.0, 1.0, 5))  # the Gulf of Guinea: no other event near
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(update(events).where(events.c.id.in_([moved, gone])).values(lat=1.0, lon=1.01))
    assert _walk(url, gulf) == [gone, moved]
    with engine.begin() as conn:
        conn.execute(update(events).where(events.c.id == moved).values(lat=None, lon=None))
        conn.execute(events.delete().where(events.c.id == gone))
    engine.dispose()
    assert _walk(url, gulf) == []
