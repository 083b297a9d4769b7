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

from .geography import Geography, famous
from .index import HINT_LEVELS, LEVEL_PRIOR, Gazetteer
from .normalize import fold, is_cyrillic, read_romanize, segments, split_descriptors
from .streets import street_location

FUZZY_NEAR = 72  # RapidFuzz ratio for a misspelt district inside the report's regions ("Sholkhovskoye")
FUZZY_ANYWHERE = 85  # ... and anywhere else the report's geography admits
DISTINCT_POP = 20_000  # a town this large, the only one of its name, may lie outside the report's regions
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
        if p.level == "country":
            return e.cc == p.cc
        if p.level == "admin1":
            return e.a1 == p.a1
        if p.level == "admin2":
            return e.parent == parent_eid or (e.a2 == p.name and e.a1 == p.a1)
        if p.level == "city":
            return e.parent == parent_eid or (e.level == "city" and eid == parent_eid)
        if p.level == "city_district":
            return e.parent == p.parent
        return False

    # -- main entry point ---------------------------------------------------------------------
    def resolve(self, places: list[PlaceMention], *, language: str, text: str = "",
                region: str | None = None) -> list[Location]:
        """Locations for all of one report's mentions, resolved together (see `geography`);
        `region` is the ISO 3166-2 code the report's source speaks for, when known."""
        try:
            return self._resolve(places, language, region)
        except Exception as exc:  # never raise into the service
            return [Location(mention=p.text, span=p.span, reason=f"geocoder error: {exc!r}") for p in places]

    def report_geography(self, places: list[PlaceMention], *, language: str, region: str | None = None) -> Geography:
        """The anchors `resolve` uses for these mentions (for explanations and checks)."""
        return self.geography(places, [self._cands(p, language) for p in places], region)

    def geography(self, places: list[PlaceMention], info: list, region: str | None = None) -> Geography:
        """The report's anchors: the regions it names, the large cities it names, its source's region."""
        geo = Geography()
        if region:
            geo.add(region, f"{region}, the region the source speaks for")
        for pm, (cands, word_lvl, *_) in zip(places, info, strict=True):
            allowed = HINT_LEVELS.get(pm.level_hint or _WORD_HINT.get(word_lvl or "") or "", ())
            pool = {e: v for e, v in cands.items() if self.g.entries[e].level in allowed} or cands
            if not pool:
                continue
            top = max(q for q, _ in pool.values())
            if top < 0.9:
                continue
            best = [e for e, (q, _) in pool.items() if q >= top - 0.03]
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

    def _resolve(self, places: list[PlaceMention], language: str, region: str | None = None) -> list[Location]:
        n = len(places)
        info = [self._cands(p, language) for p in places]
        geo = self.geography(places, info, region)
        # votes: which admin1 / city each mention most likely refers to (for the others' context)
        votes_a1: list[dict[str, float]] = []
        votes_city: list[dict[int, float]] = []
        for pm, (cands, word_lvl, *_) in zip(places, info, strict=True):
            va, vc = defaultdict(float), defaultdict(float)
            if cands:
                # vote with the candidates that fit the mention's level ('Сумській області' is the oblast,
                # not the villages called Sumska) when there are any
                allowed = HINT_LEVELS.get(pm.level_hint or _WORD_HINT.get(word_lvl or "") or "", ())
                pool = {e: v for e, v in cands.items() if self.g.entries[e].level in allowed} or cands
                top = max(q for q, _ in pool.values())
                best = [e for e, (q, _) in pool.items() if q >= top - 0.03]
                for e in best:
                    ent = self.g.entries[e]
                    if ent.a1:
                        va[ent.a1] += 1 / len(best)
                    if ent.level == "city":
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
            out[i], chosen[i] = self._one(i, pm, info[i], parent_eid, ctx(i), language, out, places, geo)

        for i in range(n):
            do(i)
        return [o for o in out]  # type: ignore[misc]

    def _one(self, i, pm, info, parent_eid, context, language, out, places, geo: Geography):
        cands, word_lvl, tail, surface = info
        cands = dict(cands)
        refused: dict[int, str] = {}
        hint = pm.level_hint or _WORD_HINT.get(word_lvl or "")
        if hint == "street" or pm.street:
            return street_location(i, pm, places, out), None
        g = self.g
        ctx_a1, ctx_city = context
        # inline parent ("Калининском районе Донецка", "district of Kharkiv")
        if parent_eid is None and tail:
            tc, _l, _t = g.candidates(tail, language)
            tc = {e: v for e, v in tc.items() if g.entries[e].level in ("city", "admin1", "admin2")}
            if tc:
                parent_eid = max(
                    tc, key=lambda e: (tc[e][0] + LEVEL_PRIOR.get(g.entries[e].level, 0), g.entries[e].pop)
                )
        allowed = HINT_LEVELS.get(hint or "", ())
        cands, notes_geo = self._in_geography(cands, parent_eid, geo, refused, pm.cue)
        core = split_descriptors(surface)[0]
        okrug_text = bool(re.search(r"okruh|urban|municipal|munitsipal|horodsk", fold(surface)))
        # fuzzy search when nothing matched exactly, for a mention the text marks as a place (a name
        # alone is never read loosely): inside the parent's region, then the report's anchors (or,
        # without anchors, the regions the other mentions point at), then anywhere the geography admits
        if pm.cue != "name" and not any(not allowed or g.entries[e].level in allowed for e in cands):
            a1s = []
            if parent_eid is not None and g.entries[parent_eid].a1:
                a1s.append(g.entries[parent_eid].a1)
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
        if not cands:
            why = f"no gazetteer entry matches '{surface}'"
            if refused:
                e, where = next(iter(refused.items()))
                why = f"'{surface}' is {g.entries[e].name} ({where}) only outside every region the report names"
            if parent_eid is not None:
                return self._via_parent(pm, parent_eid, why), None
            return self._abstain(pm, geo, why), None
        scored = []
        for e, (q, how) in cands.items():
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
            if ent.a1 and ctx_a1.get(ent.a1):
                s += min(0.15, 0.08 * ctx_a1[ent.a1])
                notes.append("consistent with other places in the report")
            if e in notes_geo:
                notes.append(notes_geo[e])
            if ent.level == "city_district" and ctx_city.get(ent.parent):
                s += 0.15
            elif ent.level == "city_district" and parent_eid is None:
                s -= 0.05  # a city district comes with its city; 'Oktyabrsky District, Rostov Oblast' is rural
                notes.append(f"its city ({g.entries[ent.parent].name}) is not named")
            if ent.level == "city" and ctx_city.get(e) and parent_eid is None:
                s += 0.02
            if ent.level == "city" and parent_eid is None and ent.pop > 10_000:
                # A bare name is the prominent city, not a same-named village that merely lies in a
                # region the report also names ('Belgorod' beside 'Bryansk region').
                s += 0.1 * (math.log10(ent.pop) - 4.0)
            scored.append((s, e, notes))
        scored.sort(key=lambda x: -x[0])
        best_s, eid, notes = scored[0]
        if parent_eid is not None and not self._inside(g.entries[eid], eid, parent_eid) and (
                cands[eid][0] < 0.9 or g.entries[eid].level in ("city_district", "street")):
            # a loose match, or a city district of another city, outside the place the text puts it
            # in ("Ленинский район Курска" is no district of Rostov): trust the text's parent
            why = f"{g.entries[eid].name} lies outside {g.entries[parent_eid].name}, which the text names as its place"
            return self._via_parent(pm, parent_eid, why), None
        be = g.entries[eid]
        # rivals: other places (the same point at another level, e.g. a city and its urban okrug, is no rival)
        rivals = [
            s
            for s, e, _ in scored[1:]
            if (g.entries[e].lat, g.entries[e].lon) != (be.lat, be.lon) or be.lat is None
        ]
        margin = best_s - rivals[0] if rivals else 0.5
        close = sum(1 for s in rivals if best_s - s < 0.05)
        q = cands[eid][0]
        conf = q * (0.55 + 0.45 * min(1.0, margin / 0.15)) * max(0.3, 1 - 0.1 * close)
        if allowed and g.entries[eid].level not in allowed:
            conf *= 0.6
        reason = "; ".join(notes)
        if rivals and margin < 0.05:
            reason += f"; ambiguous ({len(rivals)} other candidates), chose by context/population"
        return self._location(pm, eid, round(max(0.05, min(0.99, conf)), 3), reason), eid

    def _in_geography(self, cands: dict, parent_eid: int | None, geo: Geography, refused: dict[int, str],
                      cue: str | None = None) -> tuple[dict, dict[int, str]]:
        """The candidates the report's geography admits, with a note on why each may lie where it
        does; the others go to `refused` (entry id -> where it lies). A parent named in the text
        decides instead (scored in `_one`), and a report without anchors admits everything."""
        if parent_eid is not None or not geo:
            return cands, {}
        kept, notes = {}, {}
        towns = [e for e, (q, _) in cands.items() if q >= 0.98 and self.g.entries[e].level == "city"]
        for e, v in cands.items():
            ent = self.g.entries[e]
            where = geo.where(ent)
            if where is None and famous(ent, self.g.capitals, e):
                where = "named without its region: a region, regional capital or large city"
            if where is None and cue in ("preposition", "descriptor") and towns == [e] and ent.pop >= DISTINCT_POP:
                where = f"the only town of that name ({ent.pop:,} people), named as a place"
            if where is None:
                a1e = self.g.a1_entry(ent.a1) if ent.a1 else None
                refused.setdefault(e, self.g.entries[a1e].name if a1e is not None else (ent.a1 or "elsewhere"))
                continue
            kept[e], notes[e] = v, where
        return kept, notes

    def _abstain(self, pm: PlaceMention, geo: Geography, why: str) -> Location:
        """Nothing fits inside the report's geography: the region the report is about, when the text
        says this is a place (a descriptor or a locative preposition); else no location."""
        code = geo.primary
        a1e = self.g.a1_entry(code) if code else None
        if a1e is None or pm.cue not in ("descriptor", "preposition"):
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
        name, lat, lon, prec = e.name, e.lat, e.lon, lvl
        city = e.city if lvl in ("city", "city_district") else None
        if lvl == "city_district":
            name = f"{e.name}, {e.city}"
            if lat is None and e.parent is not None:
                p = g.entries[e.parent]
                lat, lon, prec = p.lat, p.lon, "city"
                reason += f"; district has no coordinates of its own, using {p.name}"
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
