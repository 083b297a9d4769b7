"""The plan of box and distance searches on SQLite (services/gateway/boxplan.py): the density grid
counts what a box holds, the choice follows the box's share of the store, and whichever plan is
taken, the pages are the same."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete

from bench.gateway import make_rows
from services.gateway.api.app import make_read_engine
from services.gateway.boxplan import Box, BoxDensity
from services.gateway.filters import EventFilter, Near
from services.gateway.queries import list_event_rows
from shared.store.tables import articles, events, metadata

KURSK_BOX = (35.2, 50.7, 37.2, 52.7)  # min_lon, min_lat, max_lon, max_lat: one of the bench's 24 regions


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_read_engine(f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}")
    metadata.create_all(engine)
    arts, rows = make_rows(3000)
    with engine.begin() as conn:
        conn.execute(articles.insert(), arts)
        conn.execute(events.insert(), rows)
    yield engine
    engine.dispose()


class Forced(BoxDensity):
    def __init__(self, storage_order: bool) -> None:
        super().__init__()
        self.storage_order = storage_order

    def storage_order_is_cheaper(self, *args: object, **kwargs: object) -> bool:
        return self.storage_order


def test_the_grid_counts_the_events_a_box_holds(engine: Engine) -> None:
    with engine.connect() as conn:
        in_box, in_band, total = BoxDensity().estimate(conn, Box(-90, 90, -180, 180))
        assert (in_box, in_band, total) == (3000, 3000, 3000)
        in_box, in_band, _ = BoxDensity().estimate(conn, Box(50.7, 52.7, 35.2, 37.2))
    assert 0 < in_box < in_band < 3000


def test_a_box_with_a_large_share_walks_storage_order_and_a_tiny_one_uses_the_index(engine: Engine) -> None:
    density = BoxDensity()
    with engine.connect() as conn:
        assert density.storage_order_is_cheaper(conn, Box(-90, 90, -180, 180), 51)
        assert not density.storage_order_is_cheaper(conn, Box(50.70, 50.71, 35.20, 35.21), 51)
        assert not density.storage_order_is_cheaper(conn, Box(10, 11, 10, 11), 51)  # nothing there


def test_the_grid_is_read_again_after_its_time_to_live(engine: Engine) -> None:
    now = [0.0]
    density = BoxDensity(ttl_s=60, clock=lambda: now[0])
    everywhere = Box(-90, 90, -180, 180)
    with engine.connect() as conn:
        assert density.estimate(conn, everywhere)[2] == 3000
    with engine.begin() as conn:
        conn.execute(delete(events).where(events.c.seq > 2000))
    try:
        with engine.connect() as conn:
            assert density.estimate(conn, everywhere)[2] == 3000  # cached
            now[0] = 61
            assert density.estimate(conn, everywhere)[2] == 2000
    finally:
        _, rows = make_rows(3000)
        with engine.begin() as conn:
            conn.execute(events.insert(), rows[2000:])


@pytest.mark.parametrize("flt", [
    EventFilter(bbox=KURSK_BOX, weapons=("uav",)),
    EventFilter(near=Near(51.7, 36.2, 50)),
    EventFilter(near=Near(51.7, 36.2, 80), types=("attack", "impact")),
], ids=["bbox", "near", "near-types"])
def test_both_plans_give_the_same_pages(engine: Engine, flt: EventFilter) -> None:
    def walk(density: BoxDensity) -> list[str]:
        seen, cursor = [], None
        with engine.connect() as conn:
            while True:
                page, cursor = list_event_rows(conn, flt=flt, limit=20, cursor=cursor, density=density)
                seen += [r.id for r in page]
                if cursor is None:
                    return seen

    by_index, in_storage_order = walk(Forced(False)), walk(Forced(True))
    assert by_index == in_storage_order
    assert len(by_index) > 20  # more than one page

