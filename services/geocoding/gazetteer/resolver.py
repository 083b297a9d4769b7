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

from shared.messages.events import Location, PlaceMention

from .build import A1, A2, CC, CITY, GID, LAT, LEVEL, LON, NAME, PARENT, POP
from .index import HINT_LEVELS, LEVEL_PRIOR, Gazetteer
from .normalize import fold, is_cyrillic, read_romanize, segments, split_descriptors
from .streets import street_location

_WORD_HINT = {
    "oblast": "oblast",
    "district": "district",
    "city": "city",
    "village": "village",
    "street": "street",
    "sea": "sea",
    "city_district": "city_district",
}


class GazetteerGeocoder:
    def __init__(self, gazetteer: Gazetteer):
        self.g = gazetteer

    # -- candidate generation ---------------------------------------------------------------
    def _cands(self, pm: PlaceMention, language: str):
        surfaces = [s for s in dict.fromkeys([pm.normalized, pm.text]) if s and s.strip()]
        cands: dict[int, tuple[float, str]] = {}
        word_lvl = tail = None
        for s in surfaces:
            c, lvl, t = self.g.candidates(s, language)
            word_lvl, tail = word_lvl or lvl, tail or t
            for e, v in c.items():
                if cands.get(e, (0,))[0] < v[0]:
                    cands[e] = v
        if not cands and surfaces:  # enumeration: "Белгородской, Курской областей"
            parts = segments(surfaces[0])
            if len(parts) > 1:
                c, _lvl, _t = self.g.candidates(parts[0], language)
                cands = {e: (q * 0.97, how + " (first item of a list)") for e, (q, how) in c.items()}
        if not cands and surfaces:  # loose span: look for a known name inside it
            toks = re.findall(r"[\w'’ʼ-]+", surfaces[-1])
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
        return cands, word_lvl, tail, (surfaces[0] if surfaces else "")

    def _inside(self, e: tuple, eid: int, parent_eid: int) -> bool:
        p = self.g.entries[parent_eid]
        if p[LEVEL] == "country":
            return e[CC] == p[CC]
        if p[LEVEL] == "admin1":
            return e[A1] == p[A1]
        if p[LEVEL] == "admin2":
            return e[PARENT] == parent_eid or (e[A2] == p[NAME] and e[A1] == p[A1])
        if p[LEVEL] == "city":
            return e[PARENT] == parent_eid or (e[LEVEL] == "city" and eid == parent_eid)
        if p[LEVEL] == "city_district":
            return e[PARENT] == p[PARENT]
        return False

    # -- main entry point ---------------------------------------------------------------------
    def resolve(self, places: list[PlaceMention], *, language: str, text: str = "") -> list[Location]:
        try:
            return self._resolve(places, language)
        except Exception as exc:  # never raise into the service
            return [Location(mention=p.text, span=p.span, reason=f"geocoder error: {exc!r}") for p in places]

    def _resolve(self, places: list[PlaceMention], language: str) -> list[Location]:
        n = len(places)
        info = [self._cands(p, language) for p in places]
        # votes: which admin1 / city each mention most likely refers to (for the others' context)
        votes_a1: list[dict[str, float]] = []
        votes_city: list[dict[int, float]] = []
        for pm, (cands, word_lvl, *_) in zip(places, info, strict=True):
            va, vc = defaultdict(float), defaultdict(float)
            if cands:
                # vote with the candidates that fit the mention's level ('Сумській області' is the oblast,
                # not the villages called Sumska) when there are any
                allowed = HINT_LEVELS.get(pm.level_hint or _WORD_HINT.get(word_lvl or "") or "", ())
                pool = {e: v for e, v in cands.items() if self.g.entries[e][LEVEL] in allowed} or cands
                top = max(q for q, _ in pool.values())
                best = [e for e, (q, _) in pool.items() if q >= top - 0.03]
                for e in best:
                    ent = self.g.entries[e]
                    if ent[A1]:
                        va[ent[A1]] += 1 / len(best)
                    if ent[LEVEL] == "city":
                        vc[e] += 1 / len(best)
            votes_a1.append(va)
            votes_city.append(vc)
        chosen: list[int | None] = [None] * n
        out: list[Location | None] = [None] * n

        def ctx(i: int):
            a1 = defaultdict(float)
            city = defaultdict(float)
            for j in range(n):
                if j != i:
                    for k, v in votes_a1[j].items():
                        a1[k] += v
                    for k, v in votes_city[j].items():
                        city[k] += v
            return a1, city

        def do(i: int, stack=()):
            if out[i] is not None:
                return
            pm = places[i]
            par = pm.parent if pm.parent is not None and 0 <= pm.parent < n and pm.parent != i else None
            if par is not None and par not in stack:
                do(par, stack + (i,))
            parent_eid = chosen[par] if par is not None else None
            out[i], chosen[i] = self._one(i, pm, info[i], parent_eid, ctx(i), language, out, places)

        for i in range(n):
            do(i)
        return [o for o in out]  # type: ignore[misc]

    def _one(self, i, pm, info, parent_eid, context, language, out, places):
        cands, word_lvl, tail, surface = info
        cands = dict(cands)
        hint = pm.level_hint or _WORD_HINT.get(word_lvl or "")
        if hint == "street" or pm.street:
            return street_location(i, pm, places, out), None
        g = self.g
        ctx_a1, ctx_city = context
        # inline parent ("Калининском районе Донецка", "district of Kharkiv")
        if parent_eid is None and tail:
            tc, _l, _t = g.candidates(tail, language)
            tc = {e: v for e, v in tc.items() if g.entries[e][LEVEL] in ("city", "admin1", "admin2")}
            if tc:
                parent_eid = max(
                    tc, key=lambda e: (tc[e][0] + LEVEL_PRIOR.get(g.entries[e][LEVEL], 0), g.entries[e][POP])
                )
        allowed = HINT_LEVELS.get(hint or "", ())
        core = split_descriptors(surface)[0]
        okrug_text = bool(re.search(r"okruh|urban|municipal|munitsipal|horodsk", fold(surface)))
        # fuzzy search when nothing matched exactly: parent's admin1, then the report's admin1s, then global
        if not any(not allowed or g.entries[e][LEVEL] in allowed for e in cands):
            a1s = []
            if parent_eid is not None and g.entries[parent_eid][A1]:
                a1s.append(g.entries[parent_eid][A1])
            a1s += [a for a, _ in sorted(ctx_a1.items(), key=lambda x: -x[1]) if a not in a1s][:3]
            for a1 in a1s:
                for e, v in g.fuzzy(core, a1=a1, cutoff=72).items():
                    if cands.get(e, (0,))[0] < v[0]:
                        cands[e] = v
            if not any(not allowed or g.entries[e][LEVEL] in allowed for e in cands):
                for e, v in g.fuzzy(core, cutoff=85).items():
                    if cands.get(e, (0,))[0] < v[0]:
                        cands[e] = v
        if not cands:
            if parent_eid is not None:
                return self._via_parent(pm, parent_eid, f"no gazetteer entry matches '{surface}'"), None
            return Location(
                mention=pm.text, span=pm.span, reason=f"no gazetteer entry matches '{surface}'"
            ), None
        scored = []
        for e, (q, how) in cands.items():
            ent = g.entries[e]
            s = q + LEVEL_PRIOR.get(ent[LEVEL], 0) + 0.01 * math.log10(ent[POP] + 1)
            notes = [how]
            if allowed:
                if ent[LEVEL] in allowed:
                    s += 0.2
                else:
                    s -= 0.3
                    notes.append(f"level {ent[LEVEL]} does not fit hint {hint}")
            if parent_eid is not None:
                if self._inside(ent, e, parent_eid):
                    s += 0.25
                    notes.append(f"inside {g.entries[parent_eid][NAME]}")
                else:
                    s -= 0.2
            if ent[LEVEL] == "admin1" and word_lvl == "oblast" and ent[CITY] == ent[NAME]:
                s -= 0.1  # "Moscow region" is the oblast, not the federal city
            if ent[LEVEL] == "admin2" and word_lvl == "district":
                okrug_entry = bool(re.search(r"okrug|urban|city|gorodsk|mis", ent[NAME], re.I))
                if okrug_entry != okrug_text:
                    s -= 0.05
            if ent[A1] and ctx_a1.get(ent[A1]):
                s += min(0.15, 0.08 * ctx_a1[ent[A1]])
                notes.append("consistent with other places in the report")
            if ent[LEVEL] == "city_district" and ctx_city.get(ent[PARENT]):
                s += 0.15
            elif ent[LEVEL] == "city_district" and parent_eid is None:
                s -= 0.05  # a city district comes with its city; 'Oktyabrsky District, Rostov Oblast' is rural
                notes.append(f"its city ({g.entries[ent[PARENT]][NAME]}) is not named")
            if ent[LEVEL] == "city" and ctx_city.get(e) and parent_eid is None:
                s += 0.02
            if ent[LEVEL] == "city" and parent_eid is None and ent[POP] > 10_000:
                # A bare name is the prominent city, not a same-named village that merely lies in a
                # region the report also names ('Belgorod' beside 'Bryansk region').
                s += 0.1 * (math.log10(ent[POP]) - 4.0)
            scored.append((s, e, notes))
        scored.sort(key=lambda x: -x[0])
        best_s, eid, notes = scored[0]
        if parent_eid is not None and cands[eid][0] < 0.9 and not self._inside(g.entries[eid], eid, parent_eid):
            # only a loose match, and outside the place the text puts it in: trust the text's parent
            why = f"only a loose match ({g.entries[eid][NAME]}) outside {g.entries[parent_eid][NAME]}"
            return self._via_parent(pm, parent_eid, why), None
        be = g.entries[eid]
        # rivals: other places (the same point at another level, e.g. a city and its urban okrug, is no rival)
        rivals = [
            s
            for s, e, _ in scored[1:]
            if (g.entries[e][LAT], g.entries[e][LON]) != (be[LAT], be[LON]) or be[LAT] is None
        ]
        margin = best_s - rivals[0] if rivals else 0.5
        close = sum(1 for s in rivals if best_s - s < 0.05)
        q = cands[eid][0]
        conf = q * (0.55 + 0.45 * min(1.0, margin / 0.15)) * max(0.3, 1 - 0.1 * close)
        if allowed and g.entries[eid][LEVEL] not in allowed:
            conf *= 0.6
        reason = "; ".join(notes)
        if rivals and margin < 0.05:
            reason += f"; ambiguous ({len(rivals)} other candidates), chose by context/population"
        return self._location(pm, eid, round(max(0.05, min(0.99, conf)), 3), reason), eid

    def _location(self, pm: PlaceMention, eid: int, conf: float, reason: str) -> Location:
        g = self.g
        e = g.entries[eid]
        a1_name = None
        if e[A1]:
            a1e = g.a1_entry(e[A1])
            a1_name = g.entries[a1e][NAME] if a1e is not None else None
        lvl = e[LEVEL]
        name, lat, lon, prec = e[NAME], e[LAT], e[LON], lvl
        city = e[CITY] if lvl in ("city", "city_district") else None
        if lvl == "city_district":
            name = f"{e[NAME]}, {e[CITY]}"
            if lat is None and e[PARENT] is not None:
                p = g.entries[e[PARENT]]
                lat, lon, prec = p[LAT], p[LON], "city"
                reason += f"; district has no coordinates of its own, using {p[NAME]}"
        if lvl == "admin2" and lat is None and e[PARENT] is not None and g.entries[e[PARENT]][LEVEL] == "admin2":
            p = g.entries[e[PARENT]]  # a hromada whose centre has no point: its raion's centre
            if p[LAT] is not None:
                lat, lon = p[LAT], p[LON]
                reason += f"; centre unknown, using the centre of {p[NAME]}"
        if lvl == "admin2" and lat is None and e[A1]:
            a1e = g.a1_entry(e[A1])
            if a1e is not None:
                lat, lon, prec = g.entries[a1e][LAT], g.entries[a1e][LON], "admin1"
                reason += "; district centre unknown, using the oblast capital"
        if lvl == "admin2" and e[CITY]:
            reason += f"; centre {e[CITY]}"
        if "ocha_hromada_centroid" in g.sources_of(eid):
            reason += "; approximate coordinates (centroid of its hromada)"
        if lat is None:
            prec = None
        return Location(
            mention=pm.text,
            span=pm.span,
            name=name,
            country_code=e[CC],
            admin1_code=e[A1],
            admin1=a1_name,
            admin2=e[A2] if lvl in ("admin2", "city", "city_district") else None,
            city=city,
            lat=lat,
            lon=lon,
            precision=prec,
            confidence=conf,
            reason=reason,
            geonames_id=e[GID],
        )

    def _via_parent(self, pm: PlaceMention, parent_eid: int, why: str) -> Location:
        """A settlement the gazetteer does not know, inside a parent the text names ('Strelkovka in the
        Zhukovsky district'): keep its name, use the parent's coordinates, and say so."""
        loc = self._location(pm, parent_eid, 0.5, f"{why}; using the enclosing {self.g.entries[parent_eid][NAME]}")
        raw = (pm.normalized or pm.text).strip()
        name = read_romanize(raw) if is_cyrillic(raw) else raw
        name = f"{name[:1].upper()}{name[1:]}"
        if loc.precision in (None, "country", "sea") or not name:
            return loc
        return loc.model_copy(update={"name": name, "city": name, "geonames_id": None,
                                      "admin2": loc.admin2 or (loc.name if loc.precision == "admin2" else None)})
