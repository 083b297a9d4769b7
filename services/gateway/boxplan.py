"""Plan choice for box and distance searches in storage order on SQLite.

A page of a `bbox` or `near` search in storage order can be found two ways: through the
(lat, lon, ...) index, which reads every entry in the box's band of latitudes and then sorts what
lies in the box by `seq`, or by reading events in storage order and stopping at the page's end.
The first wins for a small box (few candidates), the second for a box holding a good share of the
store (the page fills after a short walk, and nothing is sorted). SQLite's planner cannot tell
them apart (it knows no distribution of coordinates), so `BoxDensity` keeps a coarse count of
events per whole degree, read from the store at most every `ttl_s` seconds, and compares the two
costs. PostgreSQL plans this well by itself, with its own statistics.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Integer, cast, func, select

from shared.store.tables import event_time, events

# CPU per unit on SQLite (µs), fitted to timings of both plans on a 100,000-event store: an entry
# of the (lat, lon) index read, a candidate sorted by seq, a great-circle distance computed, an event
# row read in storage order.
INDEX_ENTRY_US, SORTED_ROW_US, DISTANCE_US, TABLE_ROW_US = 0.085, 0.03, 0.8, 0.23
# The share of events a type or weapon filter is assumed to keep (the grid does not count them).
KIND_FILTER_KEEPS = 0.5


@dataclass(frozen=True)
class Box:
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


class BoxDensity:
    """Counts of events per 1° cell, cached per process; thread-safe (routes run in a pool)."""

    def __init__(self, ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._cells: dict[int, list[tuple[int, int]]] = {}  # lat cell -> [(lon cell, events)]
        self._total = 0
        self._span: tuple[datetime, datetime] | None = None  # the oldest and newest event time

    def _refresh(self, conn: Connection) -> None:
        with self._lock:
            if self._read_at is None or self.clock() - self._read_at > self.ttl_s:
                # lat + 90 and lon + 180 are never negative, so the cast floors them.
                lat_cell = cast(events.c.lat + 90, Integer) - 90
                lon_cell = cast(events.c.lon + 180, Integer) - 180
                rows = conn.execute(select(lat_cell, lon_cell, func.count()).where(events.c.lat.is_not(None))
                                    .group_by(lat_cell, lon_cell)).all()
                self._cells = {}
                for lat, lon, n in rows:
                    self._cells.setdefault(int(lat), []).append((int(lon), int(n)))
                self._total = conn.execute(select(func.count()).select_from(events)).scalar_one()
                oldest, newest = conn.execute(select(func.min(event_time), func.max(event_time))).one()
                self._span = (oldest, newest) if oldest is not None and newest is not None else None
                self._read_at = self.clock()

    def time_share(self, conn: Connection, since: datetime | None, until: datetime | None) -> float:
        """The share of events with a time in [since, until), taking times as spread evenly."""
        self._refresh(conn)
        if self._span is None or (since is None and until is None):
            return 1.0
        oldest, newest = self._span
        length = (newest - oldest).total_seconds()
        if length <= 0:
            return 1.0
        low = max(oldest, since) if since else oldest
        high = min(newest, until) if until else newest
        return min(1.0, max(0.0, (high - low).total_seconds() / length))

    def estimate(self, conn: Connection, box: Box) -> tuple[float, float, int]:
        """(events in the box, events in its band of latitudes, events in the store), the first two
        from the grid with each cell counted by the share of it that the box covers."""
        self._refresh(conn)
        cells, total = self._cells, self._total
        in_box = in_band = 0.0
        for lat in range(math.floor(box.min_lat), math.floor(box.max_lat) + 1):
            lat_share = _overlap(lat, box.min_lat, box.max_lat)
            for lon, n in cells.get(lat, ()):
                in_band += n * lat_share
                in_box += n * lat_share * _overlap(lon, box.min_lon, box.max_lon)
        return in_box, in_band, total

    def storage_order_is_cheaper(self, conn: Connection, box: Box, page: int, *, keep: float = 1.0,
                                 distance: bool = False) -> bool:
        """True when walking events in storage order until `page` matches is expected to cost less
        than reading the box's band from the index and sorting its candidates. `keep` is the share
        of the box's events the other filters are expected to leave; `distance` says whether each
        candidate in the box costs a great-circle distance."""
        in_box, in_band, total = self.estimate(conn, box)
        matches = in_box * keep
        if matches < page:
            return False
        walk = total * page / matches * TABLE_ROW_US
        index = in_band * INDEX_ENTRY_US + matches * SORTED_ROW_US + (in_box * keep * DISTANCE_US if distance else 0)
        return walk < index


def _overlap(cell: int, low: float, high: float) -> float:
    """The share of [cell, cell + 1) that lies within [low, high]."""
    return max(0.0, min(cell + 1.0, high) - max(float(cell), low))

