"""Merging richer sources into the index builder: one `Registry` wraps the builder's entry list and keeps
look-ups by (admin1, level, stem key) so that the same place coming from two sources becomes one entry
(same admin1, same name key, coordinates within a few kilometres, or a shared GeoNames id): the second
source adds its names as aliases, fills fields the first lacked, and is recorded in the entry's sources.
Also the English display form of Cyrillic names ('Верхнедонской' -> 'Verkhnedonskoy District').
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from shared.geo import haversine_km as km

from ..build import Row, _Builder, _keys
from ..normalize import read_romanize


def key(name: str) -> str | None:
    k = _keys(name)
    return k[1] if k else None


def display(name: str) -> str:
    """Readable Latin form of a Cyrillic place name ('Вёшенская' -> 'Vyoshenskaya')."""
    s = read_romanize(name.strip())
    return s[:1].upper() + s[1:]


def district_display(name: str, cc: str) -> str:
    """English name of a municipality: 'Чертковский' -> 'Chertkovsky District', 'Город Азов' -> 'Azov Urban
    Okrug'; Ukrainian raions keep 'Raion'."""
    n = re.sub(r"(?i)\s*\b(муниципальный|район|округ|городской|raion|district)\b\s*", " ", name)
    city = re.match(r"(?i)^\s*(город|г\.|місто|м\.)\s+(.+)$", n)
    if city:
        return f"{display(city.group(2).strip())} Urban Okrug"
    n = display(" ".join(n.split()))
    if cc == "UA":
        return f"{n} Raion"
    n = re.sub(r"skiy$|skii$|skij$", "sky", n)
    n = re.sub(r"([nv])yy$", r"\1y", n)
    return f"{n} District" if re.search(r"(sky|skoy|koy|noy|ny|ovy)$", n) or " " not in n else n


class Registry:
    def __init__(self, b: _Builder, where: Callable[[Row], bool] | None = None) -> None:
        """Look-ups over the builder's entries (those `where` accepts, when given) and every entry added."""
        self.b = b
        self.by_key: dict[tuple[str | None, str, str], list[int]] = defaultdict(list)  # (a1, level, key) -> eids
        self.by_gid: dict[int, int] = {}
        self.any_a1: dict[tuple[str, str], list[int]] = defaultdict(list)  # (level, key) -> eids in any admin1
        for eid in range(len(b.entries)):
            if where is None or where(b.entries[eid]):
                self._index(eid)

    def _index(self, eid: int, names: Iterable[str] | None = None) -> None:
        e = self.b.entries[eid]
        if e.gid and e.level in ("city", "admin2", "admin1"):
            self.by_gid.setdefault(int(e.gid), eid)
        for n in names if names is not None else self.b.names[eid]:
            k = key(n)
            if k and eid not in self.by_key[(e.a1, e.level, k)]:
                self.by_key[(e.a1, e.level, k)].append(eid)
                self.any_a1[(e.level, k)].append(eid)

    def lookup(self, a1: str | None, level: str, name: str) -> list[int]:
        k = key(name)
        return list(self.by_key.get((a1, level, k), ())) if k else []

    def anywhere(self, level: str, name: str) -> list[int]:
        k = key(name)
        return list(self.any_a1.get((level, k), ())) if k else []

    def near(self, a1: str | None, level: str, names: Iterable[str], lat: float | None, lon: float | None,
             max_km: float, skip_source: str | None = None) -> int | None:
        """Nearest entry of this level in `a1` named like any of `names`, within `max_km` of (lat, lon);
        entries that already hold `skip_source` are not candidates (two villages of one list stay two)."""
        best, best_d = None, max_km
        for n in names:
            for eid in self.lookup(a1, level, n):
                e = self.b.entries[eid]
                if (e.lat is None or e.lon is None or lat is None or lon is None
                        or (skip_source and skip_source in self.b.srcs[eid])):
                    continue
                d = km(lat, lon, e.lat, e.lon)
                if d <= best_d:
                    best, best_d = eid, d
        return best

    def merge(self, eid: int, source: str, aliases: Iterable[str | None] = (), **fill: Any) -> int:
        """Add names and a source to an existing entry; fill only the fields it lacks."""
        e, names = self.b.entries[eid], self.b.names[eid]
        new = [a for a in aliases if a and a not in names]
        names.update(new)
        self.b.srcs[eid].add(source)
        for field, value in fill.items():
            current = getattr(e, field)
            if value is not None and (current is None or (field == "pop" and not current)):
                setattr(e, field, value)
        if new:
            self._index(eid, new)
        return eid

    def add(self, source: str, level: str, name: str, cc: str | None, a1: str | None,
            aliases: Iterable[str | None] = (), **kw: Any) -> int:
        prev = self.b.src_label
        self.b.src_label = source
        eid = self.b.add(level, name, cc, a1, aliases=aliases, **kw)
        self.b.src_label = prev
        self._index(eid)
        return eid

    def set_parent(self, eid: int, a2_eid: int) -> None:
        e, p = self.b.entries[eid], self.b.entries[a2_eid]
        e.a2, e.parent = p.name, a2_eid
