"""The report's own geography: which regions and points a report is about, and whether a gazetteer
candidate for one of its mentions may lie where it lies.

A report is read as a whole. First its *anchors*: the regions it names (an oblast, krai or
republic, in any form), the large cities it names (a regional capital, or a city of at least
`FAMOUS_POP` people), and the region of its source when that is known (a governor's channel).
Every other mention is then resolved inside those anchors or near them (`NEAR_KM` from an anchor
point). A candidate outside every anchor is taken only with evidence that makes the reading safe:

- the text names a place containing it (its parent: "X in the Y region");
- it is itself famous enough to be named without its region (a region, a regional capital, a
  large city);
- the report names no region and no large city at all, so nothing contradicts it.

Otherwise the candidate is refused, and the resolver abstains to the coarser place the text does
support (`Geography.fallback`), saying so in the location's `reason`. A village of a few hundred
people that merely shares its name with a word of the report never wins that way.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from shared.geo import haversine_km

from .build import Entry

FAMOUS_POP = 200_000  # a city this large is named without its region ("Voronezh", "Lviv")
NEAR_KM = 60.0  # a place this close to an anchor point belongs to the report's geography
NEAR_DEG = NEAR_KM / 110.0  # a latitude difference larger than this is farther than NEAR_KM


@dataclass
class Geography:
    """Anchors of one report: region codes with the text that named them, and anchor points."""

    regions: dict[str, str] = field(default_factory=dict)  # ISO 3166-2 -> what named it
    points: list[tuple[float, float, str]] = field(default_factory=list)
    weight: Counter[str] = field(default_factory=Counter)  # region -> how many anchors point at it
    _admitted: dict[int, str | None] = field(default_factory=dict, repr=False)  # entry id -> `admits`

    def __bool__(self) -> bool:
        return bool(self.regions)

    def add(self, code: str | None, why: str, entry: Entry | None = None) -> None:
        if not code:
            return
        self._admitted.clear()
        self.regions.setdefault(code, why)
        self.weight[code] += 1
        if entry is not None and entry.lat is not None and entry.lon is not None and entry.level != "admin1":
            self.points.append((entry.lat, entry.lon, entry.name))

    def where(self, entry: Entry) -> str | None:
        """Why `entry` lies in this geography ("in Rostov Oblast, named as 'Ростовской области'"),
        or None when it lies outside every anchor."""
        if entry.a1 in self.regions:
            return f"inside {self.regions[entry.a1]}"
        if entry.lat is not None and entry.lon is not None:
            for lat, lon, name in self.points:
                if abs(entry.lat - lat) > NEAR_DEG:  # cheaper than the distance, and never wrong
                    continue
                d = haversine_km(entry.lat, entry.lon, lat, lon)
                if d <= NEAR_KM:
                    return f"{d:.0f} km from {name}, which the report names"
        return None

    def admits(self, eid: int, entry: Entry, capitals: frozenset[int]) -> str | None:
        """Why this report may mean `entry`: it lies in the geography (`where`), or it is famous
        enough to be named without its region; None: only with more evidence. Memoised per entry."""
        if eid in self._admitted:
            return self._admitted[eid]
        why = f"inside {self.regions[entry.a1]}" if entry.a1 in self.regions else self.where(entry)
        if why is None and famous(entry, capitals, eid):
            why = "named without its region: a region, regional capital or large city"
        self._admitted[eid] = why
        return why

    @property
    def primary(self) -> str | None:
        """The region most anchors point at (ties: the one named first)."""
        if not self.weight:
            return None
        top = max(self.weight.values())
        return next(code for code in self.regions if self.weight[code] == top)


def famous(entry: Entry, capitals: frozenset[int], eid: int) -> bool:
    """A place the text may name without its region: a country, region or sea, a regional capital,
    or a city of at least FAMOUS_POP people."""
    if entry.level in ("country", "admin1", "sea"):
        return True
    return entry.level == "city" and (eid in capitals or entry.pop >= FAMOUS_POP)
