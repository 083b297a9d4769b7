"""Turns places and signals into events, sentence by sentence, then merges them. Per sentence:
type triggers -> weapon classes -> event places (places of the sentence minus launch areas,
officials' jurisdictions when others exist, and containers of other places there; else, when the
sentence says "in the region", the region named last; else the last place named in the two
sentences before, else the place of the previous event) -> counts ->
casualties, damage, claimant and time, which may also come from a following sentence ("No one
was injured.") or the paragraph's claimant. Finally one event per (type, weapon, place), attacks
dropped where an outcome is reported, and events without a place dropped.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from services.extraction.nlp.engine.model import Candidate, Hit, Place, Signals
from services.extraction.nlp.engine.resources import CountGrammar
from services.extraction.nlp.engine.text import Sentence, SpanIndex, Token
from services.extraction.nlp.rules.candidates import (
    STRONG,
    local_counts,
    of_them_count,
    type_triggers,
    weapon_classes,
    weapon_count,
)
from services.extraction.nlp.rules.places import ancestors


def before_number(nums: list, w: Hit) -> bool:
    """A (vague) number word right before the weapon word ("несколько беспилотников")."""
    return any(0 <= w.start - n.end <= 30 for n in nums)


_STARTS: dict[int, list[int]] = {}


def _or(value, default):
    return default if value is None else value


def _in(items: list, s: Sentence) -> list:
    starts = _STARTS.get(id(items))
    if starts is None or len(starts) != len(items):
        starts = _STARTS[id(items)] = [x.start for x in items]
    return items[bisect_left(starts, s.start):bisect_left(starts, s.end)]


class Assembler:
    def __init__(self, text: str, tokens: list[Token], sentences: list[Sentence], places: list[Place],
                 sig: Signals, article_one: frozenset[str], lang: str, morph: Any,
                 counts: CountGrammar):
        self.text, self.tokens, self.sentences, self.places, self.sig = text, tokens, sentences, places, sig
        self.article_one, self.lang, self.morph = article_one, lang, morph
        self.cg = counts
        self.cands: list[Candidate] = []
        # places of a sentence the rules set aside (a launch area, an official's jurisdiction, a
        # container of another place there): candidates too, flagged, for the decision stage
        self.extras: list[Candidate] = []
        self.last_event_sent: int | None = None
        self.last_weapon = "unknown"
        self.header: tuple[dict, list[Hit]] | None = None
        self.last_types: tuple[dict, list[Hit], int] | None = None

    def run(self) -> tuple[list[Candidate], list[Candidate]]:
        _STARTS.clear()
        index = SpanIndex(self.sentences)
        self._place_sent = {id(p): _or(index.sentence_of(p.start), -1) for p in self.places}
        self._tok_starts = [t.start for t in self.tokens]
        try:
            for s in self.sentences:
                self._sentence(s)
        finally:
            _STARTS.clear()
        return self.cands, self.extras

    def _pool(self, s: Sentence, s_places: list[Place]) -> tuple[list[Place], list[tuple[Place, str | None]], str]:
        """The sentence's event places, the places it sets aside (with why), and where the event
        places come from: the sentence itself, else "region_ref" ("in the region"), "previous" (the
        last place named up to two sentences before) or "last_event" (the previous event's place)."""
        aside: list[tuple[Place, str | None]] = [(p, "origin") for p in s_places if p.origin]
        cands = [p for p in s_places if not p.origin]
        pool = [p for p in cands if not p.title] or cands
        aside += [(p, "title") for p in cands if p.title and p not in pool]
        inner = {id(a) for p in pool for a in ancestors(p)}
        aside += [(p, "container") for p in pool if id(p) in inner]
        pool = [p for p in pool if id(p) not in inner]
        if pool:
            return pool, aside, "sentence"
        refs = _in(self.sig.region_refs, s)
        if refs:  # "..., all in the region": the region the report named last
            regions = [p for p in self.places if p.end <= refs[0].start and not p.origin and p.level == "oblast"]
            if regions:
                return regions[-1:], aside, "region_ref"
        prev = [p for p in self.places if p.end <= s.start and not p.origin
                and s.idx - self._sent_of(p) <= 2]
        prev = [p for p in prev if not p.title] or prev  # an official's jurisdiction is no scene
        if prev:
            last = prev[-1]
            return [p for p in prev if p is last or (last.group is not None and p.group == last.group)], aside, \
                "previous"
        if self.last_event_sent is not None and s.idx - self.last_event_sent <= 4:
            last_places = [c.place for c in self.cands if c.sentence == self.last_event_sent]
            return last_places[-1:], aside, "last_event"
        return [], aside, "none"

    def _sent_of(self, p: Place) -> int:
        return self._place_sent.get(id(p), -1)

    def _sentence(self, s: Sentence) -> None:
        sig = self.sig
        trig, weap = _in(sig.triggers, s), _in(sig.weapons, s)
        cas, dmg = _in(sig.casualties, s), _in(sig.damage, s)
        if not (trig or weap or cas or dmg or self.header is not None or
                (self.last_types is not None and s.idx - self.last_types[2] <= 4)):
            return  # no signal and nothing to inherit: the full rules below would do nothing either
        s_places = _in(self.places, s)
        trig = [h for h in trig if not any(p.start <= h.start < p.end for p in s_places)]
        types = type_triggers(trig, weap, cas, dmg)
        context = any(h.kind == "context" for h in trig)
        recent = self.last_event_sent is not None and s.idx - self.last_event_sent <= 2
        strong = any(t in types for t in STRONG if t != "impact") or bool(
            [h for h in types.get("impact", []) if h.kind == "impact"])
        weapons = weapon_classes(weap)
        inherited = False
        proposed = types
        if not types and self.header is not None and s_places and _in(sig.numbers, s):
            (types, weapons), inherited = self.header, True
        elif not types and self.last_types is not None and s.idx - self.last_types[2] <= 4 \
                and len(local_counts(self.text, s_places, _in(sig.numbers, s), [], self.cg)) >= 2:
            types, weapons, _ = self.last_types  # "Of them, 5 over A, 2 over B" after the total
        elif not (weapons or context or (recent and strong)):
            types = self._consequence(types, s, s_places) if recent else {}
        if proposed and not types:  # triggers, but no weapon, no incident context and no event just before
            pool, aside, _source = self._pool(s, s_places)
            in_sentence = {id(p) for p in s_places}
            unplaced: list[tuple[Place, str | None]] = [(p, None) for p in pool if id(p) in in_sentence]
            self._propose(s, proposed, weapons, unplaced + aside, cas, dmg,
                          ungated=True)
        if not inherited:
            self.header = (types, weapons) if types and self.text[s.start:s.end].rstrip().endswith(":") else None
        if not types:
            if recent and (cas or dmg):
                self._attach(self.last_event_sent, cas, dmg)
            return
        if types.keys() == {"impact"} and not weapons and not context and recent and not s_places:
            self._attach(self.last_event_sent, cas, dmg, outcome=types["impact"][0])
            return
        pool, aside, source = self._pool(s, s_places)
        self._propose(s, types, weapons, aside, cas, dmg)
        if not pool:
            return
        self._candidates(s, types, weapons, weap, pool, source, s_places)
        self.last_event_sent = s.idx
        self.last_types = (types, weapons, s.idx)
        self._attach(s.idx, cas, dmg)

    def _candidates(self, s: Sentence, types: dict[str, list[Hit]], weapons: list[Hit], weap: list[Hit],
                    pool: list[Place], source: str, s_places: list[Place]) -> None:
        """One candidate per event type, weapon class and place of the pool, with its count."""
        counts = local_counts(self.text, pool, _in(self.sig.numbers, s), weap, self.cg)
        breakdown = len(counts) >= 1 and len(pool) >= 2
        heads = _heads(self.text, pool, self.cg)  # the places a total belongs to: not containers, not "including" items
        classes = sorted({w.kind for w in weapons}) or [self.last_weapon]
        assign = self._assign(types, pool)
        for t, places in assign.items():
            t_classes = classes if len(types) == 1 else [self._nearest_weapon(types[t], weapons)]
            for wclass in t_classes:
                whits = [w for w in weapons if w.kind == wclass]
                wcount, wspan = self._weapon_count(whits, types[t])
                for p in places:
                    c = Candidate(t, wclass, p, s.idx, (s.idx, types[t][0].start))
                    c.source, c.list_size, c.sentence_places = source, len(places), len(s_places)
                    c.ev["type"] = (types[t][0].start, types[t][0].end)
                    c.weak = t == "impact" and not any(h.kind == "impact" for h in types[t])
                    c.soft = p.title or p.container
                    if whits:
                        c.ev["weapon"] = (whits[0].start, whits[0].end)
                    if breakdown or id(p) in counts:
                        n = counts.get(id(p))
                        if n is not None and (len(t_classes) == 1 or id(p) in counts):
                            c.count, c.ev["count"] = n.value, (n.start, n.end)
                        elif n is None and wcount is not None and heads == [p] and len(pool) > 1:
                            c.count, c.ev["count"] = wcount, wspan  # the total the items after it break down
                    elif wcount is not None and (heads == [p] or (
                            places == [p] and self._same_clause(wspan, types[t][0]))):
                        c.count, c.ev["count"] = wcount, wspan
                    self.cands.append(c)
            if weapons:
                self.last_weapon = sorted(weapons, key=lambda w: w.start)[-1].kind

    def _propose(self, s: Sentence, types: dict[str, list[Hit]], weapons: list[Hit],
                 places: list[tuple[Place, str | None]], cas: list[Hit], dmg: list[Hit], ungated: bool = False,
                 ) -> None:
        """Candidates the hand rules would not make, for the decision stage, each flagged with why:
        at the places the rules set aside (see `_pool`), or in a sentence the rules pass over
        (`ungated`: it has triggers but neither a weapon nor incident context)."""
        classes = sorted({w.kind for w in weapons}) or [self.last_weapon]
        made = []
        for p, why in places:
            for t, hits in types.items():
                for wclass in (classes if len(types) == 1 else [self._nearest_weapon(hits, weapons)]):
                    c = Candidate(t, wclass, p, s.idx, (s.idx, hits[0].start), excluded=why, ungated=ungated,
                                  source="sentence", list_size=len(places), sentence_places=len(places))
                    c.ev["type"] = (hits[0].start, hits[0].end)
                    c.weak = t == "impact" and not any(h.kind == "impact" for h in hits)
                    made.append(c)
        _attach_to(made, cas, dmg)
        self.extras += made

    def _same_clause(self, span: tuple[int, int] | None, trigger: Hit) -> bool:
        """No comma or semicolon between a count and its type's trigger ("збито чотири дрони, ще
        кілька влучили": the four were shot down, not the ones that hit)."""
        if span is None:
            return False
        lo, hi = sorted((span[0], trigger.start))
        return not re.search(r"[,;]", self.text[lo:hi])

    @staticmethod
    def _nearest_weapon(trig: list[Hit], weapons: list[Hit]) -> str:
        if not weapons:
            return "unknown"
        return min(weapons, key=lambda w: min(abs(w.start - h.start) for h in trig)).kind

    def _weapon_count(self, whits: list[Hit], trig: list[Hit]) -> tuple[int | None, tuple[int, int] | None]:
        nums = self.sig.numbers
        for w in sorted(whits, key=lambda w: min(abs(w.start - h.start) for h in trig)):
            k = bisect_left(self._tok_starts, w.start)
            before = [t for t in self.tokens[max(0, k - 3):k] if t.is_word]
            value, span = weapon_count(self.text, w, nums, self.article_one, before, self.cg)
            if value is not None:
                return value, span
            if singular_weapon(self.text, w, nums, self.cg, self.morph, self.lang):
                return 1, (w.start, w.end)
        return of_them_count(self.text, nums, trig, self.cg) if whits else (None, None)

    @staticmethod
    def _assign(types: dict[str, list[Hit]], pool: list[Place]) -> dict[str, list[Place]]:
        if len(types) == 1 or len(pool) == 1:
            return {t: list(pool) for t in types}
        out: dict[str, list[Place]] = {t: [] for t in types}
        for p in pool:
            best = min(types, key=lambda t: min(abs(h.start - p.start) for h in types[t]))
            out[best].append(p)
        for t in types:
            if not out[t]:
                out[t] = [min(pool, key=lambda p: min(abs(h.start - p.start) for h in types[t]))]
        return out

    def _consequence(self, types: dict[str, list[Hit]], s: Sentence, s_places: list[Place]) -> dict[str, list[Hit]]:
        """Consequences only (fire, damage, casualties; no weapon) right after an event, at a place
        of their own ("the blaze started in the X district"): the same incident there - debris
        when the event was a debris fall, else an impact."""
        if types.keys() != {"impact"} or not [p for p in s_places if not p.origin and not p.title]:
            return {}
        prev = {c.type for c in self.cands if c.sentence == self.last_event_sent}
        return {"debris_fall" if "debris_fall" in prev else "impact": types["impact"]}

    def _attach(self, sent: int | None, cas: list[Hit], dmg: list[Hit], outcome: Hit | None = None) -> None:
        if sent is None:
            return
        targets = [c for c in self.cands if c.sentence == sent]
        if outcome is not None and targets and all(c.type == "attack" for c in targets):
            for c in targets:  # "drones attacked X. A hit was recorded.": the attack had an outcome there
                c.type, c.ev["type"] = "impact", (outcome.start, outcome.end)
        _attach_to(targets, cas, dmg)


def _attach_to(targets: list[Candidate], cas: list[Hit], dmg: list[Hit]) -> None:
    """Casualties and damage of a sentence to its candidates (the larger toll, damage over none)."""
    for h in cas:
        for c in targets:
            cur = getattr(c, h.kind)
            if cur is None or h.value > cur:
                setattr(c, h.kind, h.value)
                c.ev[h.kind] = (h.start, h.end)
    for h in dmg:
        for c in targets:
            if c.damage is None or (h.value and not c.damage):
                c.damage = h.value
                c.ev["damage"] = (h.start, h.end)


def singular_weapon(text: str, w: Hit, numbers: list, cg: CountGrammar, morph, lang: str) -> bool:
    """ru/uk: a weapon noun in the singular with no number before it is one ("беспилотник упал");
    not a word that names strikes ("удар")."""
    head = text[w.start:w.end].split()[-1]
    return lang != "en" and not before_number(numbers, w) and not (cg.strike and cg.strike.search(head)) \
        and morph.singular_noun(head, lang)


def _heads(text: str, pool: list[Place], cg: CountGrammar) -> list[Place]:
    """The places of a sentence that a total belongs to: "22 drones over the Rostov region, including
    over A, B and C" counts at the region, not at the places it itemises; a container heading the
    line gives way to the places after it."""
    first = min(pool, key=lambda q: q.start)
    items = {id(q) for q in pool if q is not first and cg.including is not None
             and cg.including.search(text, first.end, q.start)}
    return [q for q in pool if not q.container and id(q) not in items]
