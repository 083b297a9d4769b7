"""The loaded gazetteer: entries (admin units, cities, city districts, countries, seas) plus dict
indexes from matching keys to entries, and blocked fuzzy search (rapidfuzz `ratio` over the keys that
share a first letter, or over the keys of one admin1 when the report's context names it). `level_of`
answers the extractor's question "is this surface a known place name, and of what level?".
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from shared.lang.morph import Morph

from .build import FORMAT_VERSION, Entry
from .normalize import base, is_cyrillic, split_descriptors, stem

# what a level word or hint allows
HINT_LEVELS: dict[str, tuple[str, ...]] = {
    "country": ("country",),
    "oblast": ("admin1",),
    "district": ("admin2", "city_district"),
    "raion": ("admin2", "city_district"),
    "hromada": ("city", "admin2"),
    "city": ("city", "admin1"),
    "village": ("city",),
    "city_district": ("city_district", "admin2"),
    "street": (),
    "sea": ("sea",),
}
# preference among equally good names when the text gives no level ("Kharkiv" is the city)
LEVEL_PRIOR = {
    "city": 0.05,
    "admin1": 0.04,
    "country": 0.045,
    "admin2": 0.0,
    "city_district": 0.0,
    "sea": 0.0,
}
LEVEL_TO_HINT = {
    "country": "country",
    "admin1": "oblast",
    "admin2": "district",
    "city": "city",
    "city_district": "city_district",
    "sea": "sea",
}


class Gazetteer:
    def __init__(self, payload: dict[str, Any], morph: Morph | None = None):
        if payload.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"gazetteer index format {payload.get('version')} != {FORMAT_VERSION}; rebuild it"
            )
        self.entries: list[Entry] = [Entry._make(e) for e in payload["entries"]]
        self._morph = morph if morph is not None else Morph()
        self._full: dict[str, tuple[int, ...]] = payload["full"]
        self._stem: dict[str, tuple[int, ...]] = payload["stem"]
        self._base: dict[str, tuple[int, ...]] = payload["base"]
        self._blocks: dict[str, list[str]] = payload["blocks"]
        self._a1keys: dict[str, list[str]] = payload["a1keys"]
        self._a1_eid = {e.a1: i for i, e in enumerate(self.entries) if e.level == "admin1"}
        self.capitals = self._find_capitals()
        self._memo_fuzzy = lru_cache(maxsize=20_000)(self._fuzzy)
        # sources per entry (rich index only); "minor" = a village known only from a national list, which
        # level_of does not treat as a known bare name (surnames like 'Bogomaz' are also village names)
        self._sources: list[str] | None = payload.get("entry_sources")
        self._minor = bytearray(len(self.entries))
        if self._sources:
            major: dict[str, bool] = {}
            for i, (e, src) in enumerate(zip(self.entries, self._sources, strict=True)):
                if src not in major:
                    major[src] = bool({"embedded", "hflabs_city", "geonames_places"} & set(src.split("+")))
                if e.level == "city" and not major[src]:
                    self._minor[i] = 1

    def _find_capitals(self) -> frozenset[int]:
        """Entry ids of the regional capitals (the most populous city named like its region's centre)."""
        wanted = {(e.a1, e.city) for e in self.entries if e.level == "admin1" and e.city}
        best: dict[tuple[str | None, str | None], int] = {}
        for i, e in enumerate(self.entries):
            k = (e.a1, e.name)
            if e.level == "city" and k in wanted and (k not in best or e.pop > self.entries[best[k]].pop):
                best[k] = i
        return frozenset(best.values())

    def sources_of(self, eid: int) -> tuple[str, ...]:
        """The sources an entry was built from ('embedded' for the default index)."""
        return tuple(self._sources[eid].split("+")) if self._sources else ("embedded",)

    def a1_entry(self, iso: str) -> int | None:
        return self._a1_eid.get(iso)

    @classmethod
    def load(cls, path: Path, morph: Morph | None = None) -> Gazetteer:
        """The index at `path`; pass the process's `Morph` (one is built when none is given)."""
        with gzip.open(Path(path), "rb") as fh:
            return cls(pickle.load(fh), morph)

    # -- look-ups -------------------------------------------------------------------------------
    def exact(self, core: str, language: str = "en") -> dict[int, tuple[float, str]]:
        """Candidates whose key equals the core (1.0), its stem (0.95), a dictionary form (0.92),
        or whose adjectival base equals it (0.85). Returns eid -> (quality, how)."""
        out: dict[int, tuple[float, str]] = {}

        def put(eids: Iterable[int], q: float, how: str) -> None:
            for e in eids:
                if out.get(e, (0,))[0] < q:
                    out[e] = (q, how)

        if not core:
            return out
        st = stem(core)
        put(self._full.get(core, ()), 1.0, "exact name")
        put(self._stem.get(st, ()), 0.98, "inflected/transliterated name")
        put(self._base.get(st, ()), 0.85, "district named after its centre")
        bk = base(st)
        if bk and bk in self._base:
            put(self._base[bk], 0.85, "adjectival form of district name")
        if bk and bk in self._stem:  # relational adjective: 'Шатурская ГРЭС' -> Shatura
            put(
                [e for e in self._stem[bk] if self.entries[e].level == "city"],
                0.8,
                "adjective derived from a town name",
            )
        return out

    def lemma(self, surface: str, language: str) -> dict[int, tuple[float, str]]:
        out: dict[int, tuple[float, str]] = {}
        if not is_cyrillic(surface):
            return out
        for rank, var in enumerate(self._morph.lemma_variants(surface, language)):
            core, _lvl, _tail = split_descriptors(var)
            for e, (q, _how) in self.exact(core).items():
                q = min(q, 0.99 if rank == 0 else 0.95)
                if out.get(e, (0,))[0] < q:
                    out[e] = (q, "dictionary form of inflected name")
        return out

    def fuzzy(
        self, core: str, *, a1: str | None = None, cutoff: float = 85.0, limit: int = 8
    ) -> dict[int, tuple[float, str]]:
        """Blocked fuzzy search on stem keys: inside one admin1 if given, else same first letter
        (memoised per question; a copy is returned)."""
        return dict(self._memo_fuzzy(core, a1, cutoff, limit))

    def _fuzzy(self, core: str, a1: str | None, cutoff: float, limit: int) -> dict[int, tuple[float, str]]:
        st = stem(core)
        if len(st) < 4:
            return {}
        choices = self._a1keys.get(a1, []) if a1 else self._blocks.get(st[0], [])
        out: dict[int, tuple[float, str]] = {}
        for key, score, _ in process.extract(
            st, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit
        ):
            for e in self._stem.get(key, ()):
                if a1 and self.entries[e].a1 != a1:
                    continue
                q = max(0.3, 0.85 - 0.015 * (100.0 - score))
                if out.get(e, (0,))[0] < q:
                    out[e] = (q, f"fuzzy match '{key}' ({score:.0f})")
        return out

    def candidates(
        self, surface: str, language: str
    ) -> tuple[dict[int, tuple[float, str]], str | None, str | None]:
        core, lvl, tail = split_descriptors(surface)
        cands = self.exact(core, language)
        if is_cyrillic(surface):
            for e, v in self.lemma(" ".join(surface.split()[:4]), language).items():
                if cands.get(e, (0,))[0] < v[0]:
                    cands[e] = v
        return cands, lvl, tail

    def population(self, surface: str, language: str) -> int:
        """How many people live in the largest place `surface` (possibly inflected) names: a town's
        population; a region, district, country or sea counts as large (10**7). 0 for no place."""
        if not surface or len(surface.strip()) < 3:
            return 0
        cands, _lvl, _tail = self.candidates(surface, language)
        best = 0
        for e, (q, _how) in cands.items():
            if q < 0.95:
                continue
            ent = self.entries[e]
            best = max(best, ent.pop if ent.level in ("city", "city_district") else 10**7)
        return best

    def level_of(self, surface: str, language: str) -> str | None:
        """LevelHint of the most likely place named by `surface` (None if not a known place name)."""
        if not surface or len(surface.strip()) < 3:
            return None
        cands, lvl, _tail = self.candidates(surface, language)
        if self._sources and lvl not in ("village", "city"):
            cands = {e: v for e, v in cands.items() if not self._minor[e]}
        if not cands:
            return None
        allowed = HINT_LEVELS.get(lvl or "", ())
        best = max(
            cands,
            key=lambda e: (
                self.entries[e].level in allowed,
                cands[e][0] + LEVEL_PRIOR.get(self.entries[e].level, 0),
                self.entries[e].pop,
            ),
        )
        if cands[best][0] < 0.9:
            return None
        return LEVEL_TO_HINT.get(self.entries[best].level)
