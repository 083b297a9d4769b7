"""GazetteerGeocoder: turns the PlaceMentions of one report into Locations. Each mention gets
candidates from the gazetteer (exact / stem / dictionary-form keys, then blocked fuzzy search), filtered
by its level hint, constrained by its parent mention (or an inline 'X district of Y'), and scored with
context from the other places in the report (a candidate in an oblast or city the report also names
wins), then population. Streets and coordinate-less districts resolve to the finest enclosing level that
has coordinates, and `precision` says which level the coordinates belong to. Never raises.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from shared.messages.events import Location, PlaceMention

from .build import Entry
from .geography import Geography, famous
from .index import HINT_LEVELS, LEVEL_PRIOR, Gazetteer
from .normalize import fold, is_cyrillic, read_romanize, segments, split_descriptors
from .streets import street_location

FUZZY_NEAR = 72  # RapidFuzz ratio for a misspelt district inside the report's regions ("Sholkhovskoye")
FUZZY_ANYWHERE = 85  # ... and anywhere else the report's geography admits
DISTINCT_POP = 20_000  # a town this large, the only one of its name, may lie outside the report's regions
Cands = dict[int, tuple[float, str]]  # entry id -> (quality, how it matched)
_WORD_HINT = {
    "oblast": "oblast",
    "district": "district",
    "city": "city",
    "village": "village",
    "street": "street",
    "sea": "sea",
    "city_district": "city_district",
}


class CandidateSet:
    """One mention's gazetteer candidates (entry id -> (quality, how)) with what it said about its
    level, plus indexes built on first use that let the report's geography pick its candidates
    without looking at each of them (a common village name has hundreds). Shared between reports
    through the resolver's memo, so never changed once built."""

    __slots__ = ("cands", "word_lvl", "tail", "surface", "_by_a1", "_cells", "_famous", "_towns", "_pools")

    def __init__(self, cands: Cands, word_lvl: str | None, tail: str | None, surface: str):
        self.cands, self.word_lvl, self.tail, self.surface = cands, word_lvl, tail, surface
        self._by_a1: dict[str | None, list[int]] | None = None
        self._cells: dict[tuple[int, int], list[int]] | None = None
        self._famous: list[int] | None = None
        self._towns: list[int] | None = None
        self._pools: dict[tuple[str, ...], tuple[Cands, float, list[int]]] = {}

    def __iter__(self) -> Iterator[Any]:
        return iter((self.cands, self.word_lvl, self.tail, self.surface))

    def index(self, g: Gazetteer) -> None:
        if self._by_a1 is not None:
            return
        by_a1: defaultdict[str | None, list[int]] = defaultdict(list)
        cells: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
        for e in self.cands:
            ent = g.entries[e]
            by_a1[ent.a1].append(e)
            if ent.lat is not None and ent.lon is not None:
                cells[(math.floor(ent.lat), math.floor(ent.lon))].append(e)
        self._famous = [e for e in self.cands if famous(g.entries[e], g.capitals, e)]
        self._towns = [e for e, (q, _) in self.cands.items() if q >= 0.98 and g.entries[e].level == "city"]
        self._cells, self._by_a1 = dict(cells), dict(by_a1)

    def near(self, geo: Geography) -> list[int]:
        """The candidates that can lie in the geography or be famous: those in its regions, those
        in the one-degree cells around its points, and the famous ones (after `index`)."""
        by_a1, cells, famous_ones = self._by_a1, self._cells, self._famous
        if by_a1 is None or cells is None or famous_ones is None:
            raise RuntimeError("CandidateSet.near before CandidateSet.index")
        out = [e for a1 in geo.regions for e in by_a1.get(a1, ())]
        for lat, lon, _name in geo.points:
            la, lo = math.floor(lat), math.floor(lon)
            out += [e for dl in (-1, 0, 1) for dm in (-1, 0, 1) for e in cells.get((la + dl, lo + dm), ())]
        return list(dict.fromkeys(out + famous_ones))

    def pool(self, g: Gazetteer, allowed: tuple[str, ...]) -> tuple[Cands, float, list[int]]:
        """The candidates that fit a level hint (all when none fit), their best quality, and the
        candidates within 0.03 of it (memoised per hint)."""
        if allowed not in self._pools:
            pool = {e: v for e, v in self.cands.items() if g.entries[e].level in allowed} or self.cands
            top = max((q for q, _ in pool.values()), default=0.0)
            best = [e for e, (q, _) in pool.items() if q >= top - 0.03]
            self._pools[allowed] = (pool, top, best)
        return self._pools[allowed]


class GazetteerGeocoder:
    def __init__(self, gazetteer: Gazetteer, memo_size: int = 50_000):
        self.g = gazetteer
        # the same names come up report after report: candidates per (normalized, text, language),
        # memoised (the gazetteer does not change while a geocoder uses it; callers copy before changing)
        self._memo_cands = lru_cache(maxsize=memo_size)(self._cands_of)

    # -- candidate generation ---------------------------------------------------------------
    def _cands(self, pm: PlaceMention, language: str) -> CandidateSet:
        return self._memo_cands(pm.normalized, pm.text, language)

    def _names_inside(self, surface: str, language: str) -> Cands:
        """Known names of three, two, then one capitalised words inside a loose span."""
        cands: Cands = {}
        toks = re.findall(r"[\w'’ʼ-]+", surface)
        for n in (3, 2, 1):
            for i in range(len(toks) - n + 1):
                if not toks[i][:1].isupper() or any(t.isupper() and len(t) > 1 for t in toks[i : i + n]):
                    continue
                c, _l, _t = self.g.candidates(" ".join(toks[i : i + n]), language)
                for e, (q, how) in c.items():
                    if q >= 0.95 and cands.get(e, (0,))[0] < q * 0.9:
                        cands[e] = (q * 0.9, how + " (name found inside the mention)")
            if cands:
                break
        return cands

    def _cands_of(self, normalized: str, text: str, language: str) -> CandidateSet:
        surfaces = [s for s in dict.fromkeys([normalized, text]) if s and s.strip()]
        cands: dict[int, tuple[float, str]] = {}
        word_lvl = tail = None
        exact = False
        for s in surfaces:
            c, lvl, t = self.g.candidates(s, language)
            # a tail ("X of Y": Y the inline parent) only from a surface read so, never from the
            # text's form of a name its normalised form already matches exactly ("селе Волчья Александровка")
            word_lvl, tail = word_lvl or lvl, tail or (None if exact else t)
            exact = exact or any(q >= 0.98 for q, _how in c.values())
            for e, v in c.items():
                if cands.get(e, (0,))[0] < v[0]:
                    cands[e] = v
        if not cands and surfaces:  # enumeration: "Белгородской, Курской областей"
            parts = segments(surfaces[0])
            if len(parts) > 1:
                c, _lvl, _t = self.g.candidates(parts[0], language)
                cands = {e: (q * 0.97, how + " (first item of a list)") for e, (q, how) in c.items()}
        if not cands and surfaces:  # loose span: look for a known name inside it
            cands = self._names_inside(surfaces[-1], language)
        return CandidateSet(cands, word_lvl, tail, surfaces[0] if surfaces else "")

    def _inside(self, e: Entry, eid: int, parent_eid: int) -> bool:
        p = self.g.entries[parent_eid]
        if p.level == "country":
            return e.cc == p.cc
        if p.level == "admin1":
            return e.a1 == p.a1
        if p.level == "admin2":
            return e.parent == parent_eid or (e.a2 == p.name and e.a1 == p.a1)
        if p.level == "city":  # its district: by the index's link, or by the city's name (another source's entry)
            return e.parent == parent_eid or (e.level == "city" and eid == parent_eid) or (
                e.level == "city_district" and e.a1 == p.a1 and e.city == p.name)
        if p.level == "city_district":
            return e.parent == p.parent
        return False

    # -- main entry point ---------------------------------------------------------------------
    def resolve(self, places: list[PlaceMention], *, language: str, text: str = "",
                region_hint: str | None = None, only: set[int] | None = None) -> list[Location]:
        """Locations for all of one report's mentions, resolved together (see `geography`);
        `region_hint` is the ISO 3166-2 code the report's source speaks for, when known: an anchor
        like a region the report names. With `only`, just those mentions (and the parents they need)
        are resolved, in the same context as if all were; the others come back unresolved."""
        try:
            return self._resolve(places, language, region_hint, only)
        except Exception as exc:  # never raise into the service
            return [Location(mention=p.text, span=p.span, reason=f"geocoder error: {exc!r}") for p in places]

    def region(self, code: str) -> Location | None:
        """The region an ISO 3166-2 code (or, two letters, a whole country) stands for, as a Location
        at its own level with no mention; None when the gazetteer does not know it."""
        if "-" in code:
            eid = self.g.a1_entry(code)
        else:
            eid = next((i for i, e in enumerate(self.g.entries) if e.level == "country" and e.cc == code), None)
        if eid is None:
            return None
        loc = self._location(PlaceMention(text=code, span=(0, 0), normalized=code), eid, 0.9, "the source's region")
        return loc.model_copy(update={"mention": None, "span": None})

    def report_geography(self, places: list[PlaceMention], *, language: str, region: str | None = None) -> Geography:
        """The anchors `resolve` uses for these mentions (for explanations and checks)."""
        return self.geography(places, [self._cands(p, language) for p in places], region)

    def geography(self, places: list[PlaceMention], info: list[CandidateSet], region: str | None = None) -> Geography:
        """The report's anchors: the regions it names, the large cities it names, its source's region."""
        geo = Geography()
        if region:
            geo.add(region, f"{region}, the region the source speaks for")
        for pm, cset in zip(places, info, strict=True):
            allowed = HINT_LEVELS.get(pm.level_hint or _WORD_HINT.get(cset.word_lvl or "") or "", ())
            pool, top, best = cset.pool(self.g, allowed)
            if not pool or top < 0.9:
                continue
            # a famous reading wins over its namesakes ("Kaluga" is the city, not a village called so)
            fame = [e for e in best if famous(self.g.entries[e], self.g.capitals, e)]
            if len({self.g.entries[e].a1 for e in fame}) == 1:
                best = fame
            elif len({self.g.entries[e].a1 for e in best}) != 1:
                continue  # an ambiguous name anchors nothing
            e = max(best, key=lambda e: self.g.entries[e].pop)
            ent = self.g.entries[e]
            if ent.level == "admin1" or (ent.level == "city" and famous(ent, self.g.capitals, e)):
                a1e = self.g.a1_entry(ent.a1) if ent.a1 else None
                region_name = self.g.entries[a1e].name if a1e is not None else ent.a1
                geo.add(ent.a1, f"{region_name}, named as '{pm.text}'", ent)
        return geo

    def _resolve(self, places: list[PlaceMention], language: str, region: str | None = None,
                 only: set[int] | None = None) -> list[Location]:
        n = len(places)
        info = [self._cands(p, language) for p in places]
        geo = self.geography(places, info, region)
        votes_a1, votes_city = self._votes(places, info)
        chosen: list[int | None] = [None] * n
        out: list[Location | None] = [None] * n

        total_a1: defaultdict[str, float] = defaultdict(float)
        total_city: defaultdict[int, float] = defaultdict(float)
        for own_a1, own_city in zip(votes_a1, votes_city, strict=True):
            for k, v in own_a1.items():
                total_a1[k] += v
            for c, v in own_city.items():
                total_city[c] += v

        def ctx(i: int) -> tuple[defaultdict[str, float], defaultdict[int, float]]:
            """The other mentions' votes: everyone's minus this mention's own."""
            a1, city = defaultdict(float, total_a1), defaultdict(float, total_city)
            for k, v in votes_a1[i].items():
                a1[k] -= v
            for c, v in votes_city[i].items():
                city[c] -= v
            return a1, city

        def do(i: int, stack: tuple[int, ...] = ()) -> None:
            if out[i] is not None:
                return
            pm = places[i]
            par = pm.parent if pm.parent is not None and 0 <= pm.parent < n and pm.parent != i else None
            if par is not None and par not in stack:
                do(par, stack + (i,))
            parent_eid = chosen[par] if par is not None else None
            out[i], chosen[i] = self._one(i, pm, info[i], parent_eid, ctx(i), language, out, places, geo)

        for i in range(n) if only is None else sorted(only):
            do(i)
        return [o if o is not None else Location(mention=p.text, span=p.span, reason="not asked")
                for o, p in zip(out, places, strict=True)]

    def _votes(self, places: list[PlaceMention],
               info: list[CandidateSet]) -> tuple[list[dict[str, float]], list[dict[int, float]]]:
        """Which admin1 / city each mention most likely refers to (for the others' context)."""
        votes_a1: list[dict[str, float]] = []
        votes_city: list[dict[int, float]] = []
        for pm, cset in zip(places, info, strict=True):
            va: defaultdict[str, float] = defaultdict(float)
            vc: defaultdict[int, float] = defaultdict(float)
            if cset.cands:
                # vote with the candidates that fit the mention's level ('Сумській області' is the oblast,
                # not the villages called Sumska) when there are any
                allowed = HINT_LEVELS.get(pm.level_hint or _WORD_HINT.get(cset.word_lvl or "") or "", ())
                _pool, _top, best = cset.pool(self.g, allowed)
                for e in best:
                    ent = self.g.entries[e]
                    if ent.a1:
                        va[ent.a1] += 1 / len(best)
                    if ent.level == "city":
                        vc[e] += 1 / len(best)
            votes_a1.append(va)
            votes_city.append(vc)
        return votes_a1, votes_city

    def _one(self, i: int, pm: PlaceMention, cset: CandidateSet, parent_eid: int | None,
             context: tuple[dict[str, float], dict[int, float]], language: str, out: list[Location | None],
             places: list[PlaceMention], geo: Geography) -> tuple[Location, int | None]:
        cands, word_lvl, tail, surface = cset.cands, cset.word_lvl, cset.tail, cset.surface
        refused: dict[int, None] = {}
        hint = pm.level_hint or _WORD_HINT.get(word_lvl or "")
        if hint == "street" or pm.street:
            return street_location(i, pm, places, out), None
        g = self.g
        ctx_a1, ctx_city = context
        # inline parent ("Калининском районе Донецка", "district of Kharkiv")
        if parent_eid is None and tail:
            parent_eid = self._inline_parent(tail, language)
        allowed = HINT_LEVELS.get(hint or "", ())
        cands, notes_geo = self._in_geography(cands, parent_eid, geo, refused, pm.cue, cset)
        cands = dict(cands)
        core = split_descriptors(surface)[0]
        okrug_text = bool(re.search(r"okruh|urban|municipal|munitsipal|horodsk", fold(surface)))
        # fuzzy search when nothing matched exactly, for a mention the text marks as a place (a name
        # alone is never read loosely)
        if pm.cue != "name" and not any(not allowed or g.entries[e].level in allowed for e in cands):
            self._add_fuzzy(cands, notes_geo, core, allowed, parent_eid, geo, ctx_a1, refused)
        if not cands:
            return self._unmatched(pm, surface, refused, parent_eid, geo), None
        scored = []
        capitals_named = {g.entries[e].a1 for e in cands if e in g.capitals}
        for e, (q, how) in cands.items():
            ent = g.entries[e]
            s, notes = self._score(e, q, how, allowed, hint, parent_eid, word_lvl, okrug_text)
            s = self._context_score(s, ent, e, parent_eid, ctx_a1, ctx_city, notes_geo, notes)
            if ent.level == "admin1" and parent_eid is None and word_lvl is None and ent.a1 not in capitals_named:
                # a bare name that is a region's own and not its capital's is the region ('Krym'
                # beside 'Bryansk Oblast' is Crimea, not the village Krym of the Bryansk region)
                s += 0.1
            scored.append((s, e, notes))
        scored.sort(key=lambda x: -x[0])
        best_s, eid, notes = scored[0]
        if parent_eid is not None and self._parent_overrules(eid, parent_eid, cands[eid][0]):
            # a loose match, a namesake in another region than the parent's, or a city district of
            # another city outside the large city the text puts it in ("Ленинский район Курска" is no
            # district of Rostov): trust the text's parent
            why = f"{g.entries[eid].name} lies outside {g.entries[parent_eid].name}, which the text names as its place"
            return self._via_parent(pm, parent_eid, why), None
        conf, reason = self._confidence(scored, cands[eid][0], allowed)
        return self._location(pm, eid, conf, reason), eid

    def _inline_parent(self, tail: str, language: str) -> int | None:
        """The entry an inline parent ("X of Y": the Y) names: a city, region or district."""
        g = self.g
        tc, _l, _t = g.candidates(tail, language)
        tc = {e: v for e, v in tc.items() if g.entries[e].level in ("city", "admin1", "admin2")}
        if not tc:
            return None
        return max(tc, key=lambda e: (tc[e][0] + LEVEL_PRIOR.get(g.entries[e].level, 0), g.entries[e].pop))

    def _add_fuzzy(self, cands: Cands, notes_geo: dict[int, str], core: str, allowed: tuple[str, ...],
                   parent_eid: int | None, geo: Geography, ctx_a1: dict[str, float],
                   refused: dict[int, None]) -> None:
        """Loose matches for `core` (added to `cands`): inside the parent's region, then the report's
        anchors (or, without anchors, the regions the other mentions point at), then anywhere the
        geography admits."""
        g = self.g
        a1s: list[str] = []
        if parent_eid is not None and (parent_a1 := g.entries[parent_eid].a1):
            a1s.append(parent_a1)
        near = list(geo.regions) if geo else [a for a, _ in sorted(ctx_a1.items(), key=lambda x: -x[1])][:3]
        a1s += [a for a in near if a not in a1s]
        # loose only among the few units of a level the text names ("Sholkhovskoye district");
        # among a region's thousands of villages a loose match is mostly chance
        near_cutoff = FUZZY_NEAR if allowed and "city" not in allowed else FUZZY_ANYWHERE
        for a1 in a1s:
            for e, v in g.fuzzy(core, a1=a1, cutoff=near_cutoff).items():
                if cands.get(e, (0,))[0] < v[0] and (not allowed or g.entries[e].level in allowed):
                    cands[e] = v
        if not any(not allowed or g.entries[e].level in allowed for e in cands):
            fuzzy, more = self._in_geography(g.fuzzy(core, cutoff=FUZZY_ANYWHERE), parent_eid, geo, refused, "name")
            notes_geo.update(more)
            for e, v in fuzzy.items():
                if cands.get(e, (0,))[0] < v[0] and (not allowed or g.entries[e].level in allowed):
                    cands[e] = v

    def _unmatched(self, pm: PlaceMention, surface: str, refused: dict[int, None], parent_eid: int | None,
                   geo: Geography) -> Location:
        """No candidate: the parent's location if the text names one, else an abstention, with why."""
        g = self.g
        why = f"no gazetteer entry matches '{surface}'"
        if refused:
            e = next(iter(refused))
            a1e = g.a1_entry(refused_a1) if (refused_a1 := g.entries[e].a1) else None
            where = g.entries[a1e].name if a1e is not None else (g.entries[e].a1 or "elsewhere")
            why = f"'{surface}' is {g.entries[e].name} ({where}) only outside every region the report names"
        if parent_eid is not None:
            return self._via_parent(pm, parent_eid, why)
        return self._abstain(pm, geo, why)

    def _score(self, e: int, q: float, how: str, allowed: tuple[str, ...], hint: str | None,
               parent_eid: int | None, word_lvl: str | None, okrug_text: bool) -> tuple[float, list[str]]:
        """A candidate's score from its match, level, population and the text's parent, with notes."""
        g = self.g
        ent = g.entries[e]
        s = q + LEVEL_PRIOR.get(ent.level, 0) + 0.01 * math.log10(ent.pop + 1)
        notes = [how]
        if allowed:
            if ent.level in allowed:
                s += 0.2
            else:
                s -= 0.3
                notes.append(f"level {ent.level} does not fit hint {hint}")
        if parent_eid is not None:
            if self._inside(ent, e, parent_eid):
                s += 0.25
                notes.append(f"inside {g.entries[parent_eid].name}")
            else:
                s -= 0.2
        if ent.level == "admin1" and word_lvl == "oblast" and ent.city == ent.name:
            s -= 0.1  # "Moscow region" is the oblast, not the federal city
        if ent.level == "admin2" and word_lvl == "district":
            okrug_entry = bool(re.search(r"okrug|urban|city|gorodsk|mis", ent.name, re.I))
            if okrug_entry != okrug_text:
                s -= 0.05
        return s, notes

    def _context_score(self, s: float, ent: Entry, e: int, parent_eid: int | None, ctx_a1: dict[str, float],
                       ctx_city: dict[int, float], notes_geo: dict[int, str], notes: list[str]) -> float:
        """Score `s` with what the report's other places add to it (notes appended to `notes`)."""
        if ent.a1 and ctx_a1.get(ent.a1):
            s += min(0.15, 0.08 * ctx_a1[ent.a1])
            notes.append("consistent with other places in the report")
        if e in notes_geo:
            notes.append(notes_geo[e])
        if ent.level == "city_district" and ent.parent is not None and ctx_city.get(ent.parent):
            s += 0.15
        elif ent.level == "city_district" and parent_eid is None:
            s -= 0.05  # a city district comes with its city; 'Oktyabrsky District, Rostov Oblast' is rural
            its_city = self.g.entries[ent.parent].name if ent.parent is not None else ent.city
            notes.append(f"its city ({its_city}) is not named")
        if ent.level == "city" and ctx_city.get(e) and parent_eid is None:
            s += 0.02
        if ent.level == "city" and parent_eid is None and ent.pop > 10_000:
            # A bare name is the prominent city, not a same-named village that merely lies in a
            # region the report also names ('Belgorod' beside 'Bryansk region').
            s += 0.1 * (math.log10(ent.pop) - 4.0)
        return s

    def _parent_overrules(self, eid: int, parent_eid: int, q: float) -> bool:
        """Whether the text's parent is to be trusted over the best candidate, which lies outside it."""
        g = self.g
        # a namesake in another region than a parent whose own reading is safe (a region, a district or
        # hromada, a famous city) contradicts the text; a parent that is itself a small namesake does not
        par = g.entries[parent_eid]
        other_region = par.a1 not in (None, g.entries[eid].a1) and (
            par.level in ("admin1", "admin2") or famous(par, g.capitals, parent_eid))
        return not self._inside(g.entries[eid], eid, parent_eid) and (
            q < 0.9 or other_region or (g.entries[eid].level in ("city_district", "street")
                                        and famous(g.entries[parent_eid], g.capitals, parent_eid)))

    def _confidence(self, scored: list[tuple[float, int, list[str]]], q: float,
                    allowed: tuple[str, ...]) -> tuple[float, str]:
        """The best candidate's confidence (its match, its margin over rival places) and reason."""
        g = self.g
        best_s, eid, notes = scored[0]
        be = g.entries[eid]
        # rivals: other places (the same point at another level, e.g. a city and its urban okrug, is no rival)
        rivals = [
            s
            for s, e, _ in scored[1:]
            if (g.entries[e].lat, g.entries[e].lon) != (be.lat, be.lon) or be.lat is None
        ]
        margin = best_s - rivals[0] if rivals else 0.5
        close = sum(1 for s in rivals if best_s - s < 0.05)
        conf = q * (0.55 + 0.45 * min(1.0, margin / 0.15)) * max(0.3, 1 - 0.1 * close)
        if allowed and g.entries[eid].level not in allowed:
            conf *= 0.6
        reason = "; ".join(notes)
        if rivals and margin < 0.05:
            reason += f"; ambiguous ({len(rivals)} other candidates), chose by context/population"
        return round(max(0.05, min(0.99, conf)), 3), reason

    def _in_geography(self, cands: Cands, parent_eid: int | None, geo: Geography, refused: dict[int, None],
                      cue: str | None = None, cset: CandidateSet | None = None) -> tuple[Cands, dict[int, str]]:
        """The candidates the report's geography admits, with a note on why each may lie where it
        does; the others go to `refused` (their entry ids). A parent named in the text
        decides instead (scored in `_one`), and a report without anchors admits everything.
        With the mention's `CandidateSet`, only the candidates near the geography are looked at."""
        if parent_eid is not None or not geo:
            return cands, {}
        kept: Cands = {}
        notes: dict[int, str] = {}
        if cset is not None:
            cset.index(self.g)
            towns, look = cset._towns or [], cset.near(geo)
            if len(look) < len(cands):  # the others lie outside: one of them names the refusal
                refused.setdefault(next(e for e in cands if e not in set(look)), None)
        else:
            towns = [e for e, (q, _) in cands.items() if q >= 0.98 and self.g.entries[e].level == "city"]
            look = list(cands)
        if cue in ("preposition", "descriptor") and len(towns) == 1 and towns[0] not in look:
            look.append(towns[0])
        for e in look:
            v = cands[e]
            ent = self.g.entries[e]
            where = geo.admits(e, ent, self.g.capitals)
            if where is None and cue in ("preposition", "descriptor") and towns == [e] and ent.pop >= DISTINCT_POP:
                where = f"the only town of that name ({ent.pop:,} people), named as a place"
            if where is None:
                refused.setdefault(e, None)
                continue
            kept[e], notes[e] = v, where
        return kept, notes

    def _abstain(self, pm: PlaceMention, geo: Geography, why: str) -> Location:
        """Nothing fits inside the report's geography: the region the report is about, when the text
        says this is a place (a descriptor or a locative preposition); else no location."""
        code = geo.primary
        a1e = self.g.a1_entry(code) if code else None
        if not code or a1e is None or pm.cue not in ("descriptor", "preposition"):
            return Location(mention=pm.text, span=pm.span, reason=why)
        loc = self._location(pm, a1e, 0.3, f"{why}; placed at the region the report is about ({geo.regions[code]})")
        return loc

    def _location(self, pm: PlaceMention, eid: int, conf: float, reason: str) -> Location:
        g = self.g
        e = g.entries[eid]
        a1_name = None
        if e.a1:
            a1e = g.a1_entry(e.a1)
            a1_name = g.entries[a1e].name if a1e is not None else None
        lvl = e.level
        name, lat, lon = e.name, e.lat, e.lon
        prec: str | None = lvl
        city = e.city if lvl in ("city", "city_district") else None
        if lvl == "city_district":
            name = f"{e.name}, {e.city}"
            if lat is None and e.parent is not None:
                p = g.entries[e.parent]
                lat, lon, prec = p.lat, p.lon, "city"
                reason += f"; district has no coordinates of its own, using {p.name}"
        if lvl == "admin2" and lat is None and e.parent is not None and g.entries[e.parent].level == "admin2":
            p = g.entries[e.parent]  # a hromada whose centre has no point: its raion's centre
            if p.lat is not None:
                lat, lon = p.lat, p.lon
                reason += f"; centre unknown, using the centre of {p.name}"
        if lvl == "admin2" and lat is None and e.a1:
            a1e = g.a1_entry(e.a1)
            if a1e is not None:
                lat, lon, prec = g.entries[a1e].lat, g.entries[a1e].lon, "admin1"
                reason += "; district centre unknown, using the oblast capital"
        if lvl == "admin2" and e.city:
            reason += f"; centre {e.city}"
        if "ocha_hromada_centroid" in g.sources_of(eid):
            reason += "; approximate coordinates (centroid of its hromada)"
        if lat is None:
            prec = None
        return Location(
            mention=pm.text,
            span=pm.span,
            name=name,
            country_code=e.cc,
            admin1_code=e.a1,
            admin1=a1_name,
            admin2=e.a2 if lvl in ("admin2", "city", "city_district") else None,
            city=city,
            lat=lat,
            lon=lon,
            precision=prec,
            confidence=conf,
            reason=reason,
            geonames_id=e.gid,
        )

    def _via_parent(self, pm: PlaceMention, parent_eid: int, why: str) -> Location:
        """A settlement the gazetteer does not know, inside a parent the text names ('Strelkovka in the
        Zhukovsky district'): keep its name, use the parent's coordinates, and say so."""
        loc = self._location(pm, parent_eid, 0.5, f"{why}; using the enclosing {self.g.entries[parent_eid].name}")
        raw = (pm.normalized or pm.text).strip()
        name = read_romanize(raw) if is_cyrillic(raw) else raw
        name = f"{name[:1].upper()}{name[1:]}"
        if loc.precision in (None, "country", "sea") or not name:
            return loc
        return loc.model_copy(update={"name": name, "city": name, "geonames_id": None,
                                      "admin2": loc.admin2 or (loc.name if loc.precision == "admin2" else None)})
