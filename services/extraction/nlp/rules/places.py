"""Place mentions for one article: runs the rules of `place_match.py`, marks launch areas
("from the Bryansk region", "с территории") and officials' jurisdictions ("Governor of the Kursk
region"), links a place to the one the text says contains it ("X district of Y region", "районе
Волгограда", "Kharkiv's Slobidskyi district", a street to the district or city before it in the
sentence), attaches house numbers to streets ("Lodygina Street, houses 12 and 13", "ул. Ленина,
д. 5") and converts the result to `PlaceMention`s with parent indices.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache

from services.extraction.nlp.engine.model import Place
from services.extraction.nlp.engine.resources import NlpResources
from services.extraction.nlp.engine.text import Sentence, SpanIndex, Token
from services.extraction.nlp.rules.place_match import (
    descriptor_rules,
    genitive_parents,
    lexicon_rules,
    preposition_rules,
)
from services.extraction.nlp.rules.place_rules import RuleContext
from shared.messages.events import PlaceMention

# what says a mention is a place, by the rule that found it (a genitive after a descriptor: "районе Волгограда")
CUES = {"descriptor": "descriptor", "genitive": "descriptor", "preposition": "preposition", "lexicon": "name"}
RANK = {"street": 0, "city_district": 1, "village": 2, "city": 2, "hromada": 3, "district": 3, "raion": 3,
        "oblast": 4, "country": 5}
MEMO_SIZE = 200_000  # gazetteer look-ups of place surfaces remembered per process (least recently used go)
GAP_COMMA = re.compile(r"^\s*,\s*$|^\s*\(\s*$")
GAP_SPACE = re.compile(r"^\s+$")
HOUSE_NUM = re.compile(r"\d+(?:[a-zа-яё](?!\w))?(?:/\d+)?", re.IGNORECASE)


class MemoLexicon:
    """A `PlaceLexicon` with its answers memoised per (surface, language): the same names come up in
    report after report, and a gazetteer look-up costs tens of microseconds. The lexicon must not
    change while the extractor uses it (build a new `Extractor` for a reloaded gazetteer)."""

    __slots__ = ("_lexicon", "_memo")

    def __init__(self, lexicon: Any):
        self._lexicon = lexicon
        self._memo: LRUCache[tuple[str, ...], Any] = LRUCache(maxsize=MEMO_SIZE)

    def population(self, surface: str, language: str) -> int:
        key = ("population", surface, language)
        try:
            return self._memo[key]
        except KeyError:
            pass
        value = int(self._lexicon.population(surface, language))
        self._memo[key] = value
        return value

    def level_of(self, surface: str, language: str):
        key = (surface, language)
        try:
            return self._memo[key]
        except KeyError:
            pass
        value = self._lexicon.level_of(surface, language)  # errors propagate and are not memoised
        self._memo[key] = value
        return value


class PlaceFinder:
    def __init__(self, resources: NlpResources, lexicon: Any = None):
        self._res = resources
        self._lexicon = MemoLexicon(lexicon) if lexicon is not None else None

    @property
    def lexicon(self) -> MemoLexicon | None:
        return self._lexicon

    def find(self, text: str, tokens: list[Token], sentences: list[Sentence], lang: str) -> list[Place]:
        g = self._res.places[lang]
        ctx = RuleContext(text, tokens, g, lang, self._res.morph)
        descriptor_rules(ctx)
        genitive_parents(ctx)
        preposition_rules(ctx, self._lexicon)
        lexicon_rules(ctx, self._lexicon)
        # a river's name holds its tokens (no rule reads them as a town) but is no place
        places = sorted((p for p in ctx.places if p.level != "river"), key=lambda p: (p.start, p.end))
        for p in places:
            self._flags(p, tokens, g)
            p.container = p.level == "oblast" and (self._after_plural_descriptor(p, tokens, lang)
                                                   or _heading(text, p))
        _origin_along_lists(places, text, g.conjunctions)
        self._link(text, places, SpanIndex(sentences), g)
        for p in places:
            if p.level == "street":
                m = g.house.match(text, p.end, min(len(text), p.end + 90))
                if m:
                    p.houses = HOUSE_NUM.findall(m.group("nums"))
        return places

    @staticmethod
    def _flags(p: Place, tokens: list[Token], g) -> None:
        # "Voronezh region governor X said": a title right after the place names its jurisdiction.
        # (Only for titles of officials, not "... authorities said", where the place is often the scene.)
        if p.th < len(tokens) and tokens[p.th].low in g.titles and tokens[p.th].low in g.title_after:
            p.title = True
            return
        k, seen = p.tl - 1, 0
        while k >= 0 and seen < 4 and tokens[k].text not in {".", "!", "?", ";"}:
            low = tokens[k].low
            if low in g.origin and (low not in g.short_origin or seen == 0 or tokens[k + 1].low in g.skip_back):
                p.origin = True
                return
            if low in g.titles or tokens[k].text in g.titles:
                p.title = True
                return
            if low in g.prepositions and low not in g.origin and low not in g.skip_back:
                return  # "з району A, над B": the launch area ends where another place phrase starts
            if low not in g.skip_back:
                seen += 1
            k -= 1

    def _after_plural_descriptor(self, p: Place, tokens: list[Token], lang: str) -> bool:
        """ "in four districts of the X region", "в четырех районах X области"."""
        k = p.tl - 1
        while k >= 0 and tokens[k].low in ("of", "the"):
            k -= 1
        if k < 0 or not tokens[k].is_word:
            return False
        g, low = self._res.places[lang], tokens[k].low
        if lang == "en":
            return low in g.plural
        parses = self._res.morph.parse(low, lang)
        return bool(parses) and parses[0].normal_form in g.descriptors and "plur" in parses[0].tag.grammemes

    @staticmethod
    def _link(text: str, places: list[Place], index: SpanIndex, g) -> None:
        part_of = g.part_of.match if g.part_of is not None else (lambda _gap: None)
        PlaceFinder._link_neighbours(text, places, part_of)
        PlaceFinder._parents_by_group(places)
        PlaceFinder._street_parents(places, index)

    @staticmethod
    def _link_neighbours(text: str, places: list[Place], part_of: Callable[[str], object]) -> None:
        """A place followed by its container ("X, Y region", "the X district of Y") gets it as parent."""
        for a, b in zip(places, places[1:], strict=False):
            if a.parent is not None:
                continue
            gap = text[a.end:b.start]
            ra, rb = RANK.get(a.level or ""), RANK.get(b.level or "")
            ok = False
            if a.text.endswith(("'s", "’s")) and GAP_SPACE.match(gap):
                if b.parent is None and b.level in ("district", "city_district", "street", "village"):
                    b.parent = a
                continue
            if part_of(gap) or (GAP_SPACE.match(gap) and a.kind == "descriptor"):
                ok = (rb is not None and ra is not None and rb > ra) or (
                    rb is None and ra is not None and ra in (0, 1, 3)) or (ra is None and rb is not None and rb >= 3)
            elif GAP_COMMA.match(gap):
                ok = rb is not None and ((ra is not None and rb > ra) or (ra is None and rb >= 3))
            if not ok and part_of(gap) and a.level == "district" and b.level == "city":
                a.level, ok = "city_district", True  # "the Soviet District of Voronezh": a district of a city
            if ok:
                a.parent = b

    @staticmethod
    def _parents_by_group(places: list[Place]) -> None:
        """The places of one list ("A, B and C of the Y region") share the parent one of them has."""
        groups: dict[int, Place] = {}
        for p in places:
            if p.group is not None and p.parent is not None:
                groups[p.group] = p.parent
        for p in places:
            if p.group is not None and p.parent is None and p.group in groups and groups[p.group] is not p:
                p.parent = groups[p.group]

    @staticmethod
    def _street_parents(places: list[Place], index: SpanIndex) -> None:
        """A street's parent: the finest place named before it in its sentence."""
        for i, p in enumerate(places):
            if p.level != "street" or p.parent is not None:
                continue
            s = index.sentence_of(p.start)
            before = [q for q in places[:i] if index.sentence_of(q.start) == s and q.level != "street"
                      and not q.origin and not q.title]
            if before:
                # the finest container the text gives: drop places that contain another candidate
                inner = {id(a) for q in before for a in ancestors(q)}
                before = [q for q in before if id(q) not in inner] or before
                known = [q for q in before if q.level in RANK]
                p.parent = min(known, key=lambda q: (RANK[q.level or ""], -q.start)) if known else before[-1]

    @staticmethod
    def to_mentions(places: list[Place]) -> list[PlaceMention]:
        pos = {id(p): i for i, p in enumerate(places)}
        out = []
        for p in places:
            parent = pos.get(id(p.parent)) if p.parent is not None else None
            out.append(PlaceMention(text=p.text, span=(p.start, p.end), normalized=p.normalized,
                                    level_hint=p.level, parent=parent, street=p.street,
                                    house_numbers=list(p.houses), cue=CUES.get(p.kind)))
        return out


def ancestors(p: Place) -> list[Place]:
    out, seen = [], set()
    q = p.parent
    while q is not None and id(q) not in seen:
        out.append(q)
        seen.add(id(q))
        q = q.parent
    return out


HEADING = re.compile(r"[ \t]*[:—–][ \t]|[ \t]+-[ \t]")


def _heading(text: str, p: Place) -> bool:
    """ "Moscow region: a drone was shot down near X": a region that opens its line and is followed
    by a colon or dash heads what follows; the places after it are where things happened."""
    line_start = text.rfind("\n", 0, p.start) + 1
    return not text[line_start:p.start].strip(" \t\"'«“") and HEADING.match(text, p.end) is not None


def _origin_along_lists(places: list[Place], text: str, conjunctions: frozenset[str]) -> None:
    """The places of a list that follow a launch area are launch areas too ("launched from the
    directions of A, B and C"): the origin word stands only before the first of them. A list is
    the places the rules grouped, or names one after another with only commas and conjunctions
    between them."""
    heads: dict[int, Place] = {}
    for p in places:
        if p.group is None:
            continue
        head = heads.setdefault(p.group, p)
        if head is not p and head.origin and not p.title:
            p.origin = True
    for a, b in zip(places, places[1:], strict=False):
        if a.origin and not b.origin and not b.title and _list_gap(text[a.end:b.start], conjunctions):
            b.origin = True


def _list_gap(gap: str, conjunctions: frozenset[str]) -> bool:
    """Whether only a comma and/or one conjunction stands between two names ("A, B", "A and B")."""
    words = gap.replace(",", " ").split()
    return (bool(words) or "," in gap) and len(words) <= 1 and all(w.lower() in conjunctions for w in words)
