"""The matching rules of incidents, as pure functions: when two reports speak of one real event.

*What*: the same type and weapon class. *Where*: the same place, places that contain one another
(a village and its district or region, by admin codes and precision), or two point places within
`near_km`. *When*: the time windows overlap, with `slack` either side; an event's window is its
`occurred_at` when the text gives one, else the `published_window` before its report's publication.
See docs/architecture.md (Incidents) for why these figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.geo import haversine_km
from shared.messages import Location, TimeWindow

# How specific each precision is (more is finer). A sea is a point-like place of its own.
RANK: dict[str | None, int] = {None: -1, "country": 0, "admin1": 1, "sea": 2, "admin2": 2, "city": 3,
                               "city_district": 4, "street": 5}
# Places that are areas: an event there may only contain an incident, not locate it.
COARSE = frozenset({"country", "admin1"})
# What one place is to another: the same place, a place within `near_km`, inside it, or containing it.
Relation = Literal["same", "near", "inside", "contains"]
Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class Rules:
    near_km: float = 15.0  # two point places (city, city district, street) this close are one place
    published_window: timedelta = timedelta(hours=12)  # no time in the text: this long before publication
    slack: timedelta = timedelta(hours=2)  # windows this far apart still overlap (clock and wording slop)


def region_of(loc: Location) -> str:
    """The routing key: the ISO 3166-2 admin1 code; else the country; else "ZZ" (nowhere known)."""
    return loc.admin1_code or loc.country_code or "ZZ"


def window_of(occurred: TimeWindow | None, published_at: datetime | None, rules: Rules) -> Window | None:
    """A claim's time window: what the text says (resolved against publication), else the
    `published_window` before publication; None when neither is known."""
    if occurred is not None and occurred.start is not None:
        return occurred.start, max(occurred.end or occurred.start, occurred.start)
    if occurred is not None and occurred.end is not None:
        return occurred.end, occurred.end
    if published_at is not None:
        return published_at - rules.published_window, published_at
    return None


def union(windows: list[Window | None]) -> Window | None:
    known = [w for w in windows if w is not None]
    if not known:
        return None
    return min(w[0] for w in known), max(w[1] for w in known)


def overlaps(a: Window | None, b: Window | None, rules: Rules) -> bool:
    if a is None or b is None:
        return False
    return a[0] - rules.slack <= b[1] and b[0] - rules.slack <= a[1]


def _admin2(loc: Location) -> str | None:
    return loc.name if loc.precision == "admin2" and loc.name else loc.admin2


def _city(loc: Location) -> str | None:
    return loc.name if loc.precision == "city" and loc.name else loc.city


def _same(a: Location, b: Location) -> bool:
    if a.precision != b.precision:
        return False
    if a.geonames_id is not None and a.geonames_id == b.geonames_id:
        return True
    return (a.country_code, a.admin1_code, a.admin2, a.city, a.name, a.street) == \
           (b.country_code, b.admin1_code, b.admin2, b.city, b.name, b.street)


def _within(fine: Location, coarse: Location) -> bool:
    """`fine` lies in the area `coarse` names, as the admin codes say."""
    if coarse.precision == "country":
        return fine.country_code == coarse.country_code
    if fine.admin1_code != coarse.admin1_code or coarse.admin1_code is None:
        return False
    if coarse.precision == "admin1":
        return True
    if coarse.precision == "admin2":
        return _admin2(fine) is not None and _admin2(fine) == _admin2(coarse)
    if coarse.precision == "city":
        return _city(fine) is not None and _city(fine) == _city(coarse)
    if coarse.precision == "city_district":
        return fine.precision == "street" and _city(fine) == _city(coarse) and fine.admin2 == coarse.admin2
    return False


def _near(a: Location, b: Location, rules: Rules) -> bool:
    if RANK[a.precision] < RANK["city"] or RANK[b.precision] < RANK["city"]:
        return False
    if None in (a.lat, a.lon, b.lat, b.lon):
        return False
    return haversine_km(a.lat, a.lon, b.lat, b.lon) <= rules.near_km  # type: ignore[arg-type]


def relation(event: Location, incident: Location, rules: Rules) -> Relation | None:
    """What the event's place is to the incident's place, or None when they are different places."""
    if event.precision is None or incident.precision is None or event.country_code != incident.country_code:
        return None
    if _same(event, incident):
        return "same"
    finer, coarser = RANK[event.precision], RANK[incident.precision]
    if finer > coarser and _within(event, incident):
        return "inside"
    if finer < coarser and _within(incident, event):
        return "contains"
    if _near(event, incident, rules):
        return "near"
    return None


def is_coarse(loc: Location) -> bool:
    """A place that names only an area (a region, a country): its claims support, never locate."""
    return loc.precision in COARSE
