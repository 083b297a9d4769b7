"""Grammar rules that propose place mentions from tokens, one function per script family.
English: "<Name> Region/District/Street", plural descriptors with lists before or after them
("Chertkovsky and Millerovsky districts", "districts, including A, B, and C"), prefix descriptors
("the village of X") and capitalised names after place prepositions ("over Belgorod", "in Kharkiv,
Sumy and Konotop"). Russian/Ukrainian: adjective(s) + descriptor noun ("Брянской области",
"Чертковским, Шолоховским и Миллеровским районами"), descriptor + name ("улица Лодыгина",
"г. Курск"), prepositions + capitalised names ("над Брянском", "на Миколаївщині"). Every rule
returns `Place` objects with spans and a nominative `normalized`; linking happens in `places.py`.
"""
from __future__ import annotations

from typing import Any

from services.extraction.nlp.engine.model import Place
from services.extraction.nlp.engine.resources import PlaceGrammar
from services.extraction.nlp.engine.text import Token
from shared.lang.morph import Morph

_UNSET: Any = object()


def _en_desc(g, low: str) -> str | None:
    """The English descriptor a word is, possessive included ("the Kaluga region's Zhukovsky district")."""
    low = strip_poss(low)
    return g.plural.get(low, low) if (low in g.descriptors or low in g.plural) else None


def strip_poss(word: str) -> str:
    for suf in ("'s", "’s"):
        if word.endswith(suf):
            return word[: -len(suf)]
    return word


class RuleContext:
    def __init__(self, text: str, tokens: list[Token], g: PlaceGrammar, lang: str, morph: Morph):
        self.text, self.tokens, self.g, self.lang, self.morph = text, tokens, g, lang, morph
        self.used = [False] * len(tokens)
        self._desc: list[str | None] | None = None  # per token, computed on first use
        self._names: list[bool] | None = None
        self.places: list[Place] = []
        self._group = 0

    def new_group(self) -> int:
        self._group += 1
        return self._group

    def add(self, lo: int, hi: int, normalized: str, level: str | None, kind: str, group: int | None = None,
            street: str | None = None) -> Place | None:
        if lo >= hi or any(self.used[lo:hi]):
            return None
        for k in range(lo, hi):
            self.used[k] = True
        a, b = self.tokens[lo].start, self.tokens[hi - 1].end
        p = Place(a, b, self.text[a:b], normalized, level, group=group, kind=kind, tl=lo, th=hi, street=street)
        self.places.append(p)
        return p

    def desc_lemma(self, i: int) -> str | None:
        """The descriptor lemma if token i is a place descriptor ("области" -> "область")."""
        desc = self._desc
        if desc is None:
            desc = self._desc = self._all_desc()
        return desc[i] if 0 <= i < len(desc) else self._desc_lemma(i)

    def _all_desc(self) -> list[str | None]:
        """`_desc_lemma` of every token, with its common cases inlined."""
        g, memo, en = self.g, self.g.memo, self.lang == "en"
        out: list[str | None] = []
        for i, tok in enumerate(self.tokens):
            low = tok.low
            if not tok.is_word:
                out.append(None)
            elif en:
                out.append(_en_desc(g, low))
            else:
                v = memo.get(("desc", low), _UNSET) if low not in g.abbrev else _UNSET
                out.append(self._desc_lemma(i) if v is _UNSET else v)
        return out

    def _desc_lemma(self, i: int) -> str | None:
        tok = self.tokens[i]
        g, low = self.g, tok.low
        if not tok.is_word:
            return None
        if self.lang == "en":
            return _en_desc(g, low)
        if low in g.abbrev:
            nxt = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
            if low in g.descriptors or (nxt is not None and nxt.text == "." and nxt.start == tok.end):
                return g.abbrev[low]
            return None
        key = ("desc", low)  # a function of the word alone: memoised on the grammar
        memo = self.g.memo
        if key not in memo:  # a cachetools LRUCache: the least recently used words go first
            # any of the word's readings: pymorphy3 reads "селі" first as the mudflow "сель", not "село"
            lemmas = [g.forms[low]] if low in g.forms else (
                [p.normal_form for p in self.morph.parse(low, self.lang)[:4]] or [self.morph.lemma(low, self.lang)])
            memo[key] = next((lemma for lemma in lemmas if lemma in g.descriptors), None)
        return memo[key]

    def is_name(self, i: int) -> bool:
        if i < 0 or i >= len(self.tokens) or self.used[i]:
            return False
        return self.name_flags()[i]

    def name_flags(self) -> list[bool]:
        """`is_name` for every token, ignoring `used` (callers check that themselves)."""
        if self._names is None:
            if self._desc is None:
                self._desc = self._all_desc()
            desc = self._desc
            self._names = [tok.is_cap and self._name_like(tok) and desc[k] is None for k, tok in enumerate(self.tokens)]
        return self._names

    def _name_like(self, tok: Token) -> bool:
        if not (tok.is_word and tok.is_cap):
            return False
        key = ("name", tok.text)  # a function of the word alone: memoised on the grammar
        memo = self.g.memo
        ok = memo.get(key)
        if ok is None:
            ok = memo[key] = self._name_like_word(tok)
        return ok

    def _name_like_word(self, tok: Token) -> bool:
        if not (tok.is_word and tok.is_cap) or tok.is_acronym:
            return False
        base = strip_poss(tok.text)
        if base in self.g.stop or base in self.g.countries or base.split("-")[0] in self.g.stop:
            return False
        # "Україну", "России": a country in any case
        return self.lang == "en" or self.morph.lemma(base.lower(), self.lang).capitalize() not in self.g.countries

    def run_right(self, i: int, limit: int = 3) -> int:
        j = i
        while j < len(self.tokens) and j - i < limit and self.is_name(j):
            j += 1
            if strip_poss(self.tokens[j - 1].text) != self.tokens[j - 1].text:
                break
            if j < len(self.tokens) and self.tokens[j].text == "-" and self.is_name(j + 1):
                j += 1
        return j

    def run_left(self, i: int, limit: int = 3) -> int:
        j = i
        while j > 0 and i - j < limit and self.is_name(j - 1) and strip_poss(self.tokens[j - 1].text) == \
                self.tokens[j - 1].text:
            j -= 1
        return j

    def words(self, lo: int, hi: int) -> tuple[str, ...]:
        return tuple(t.text for t in self.tokens[lo:hi] if t.is_word)

    def norm_phrase(self, lo: int, hi: int) -> str:
        if self.lang == "en":
            return " ".join(strip_poss(t.text) if t.is_word else t.text for t in self.tokens[lo:hi]) \
                .replace(" - ", "-").replace(" -", "-")
        ws = self.words(lo, hi)
        if len(ws) == 1:
            return self.morph.nominative_name(ws[0], self.lang)
        return self.morph.nominative_phrase(ws, self.lang)

    def list_left(self, j: int) -> list[tuple[int, int]]:
        """Items of a list ending right before token j: "A, B and C" -> [(a,a'), (b,b'), (c,c')]."""
        items: list[tuple[int, int]] = []
        end, saw_conj = j, False
        while True:
            start = self.run_left(end)
            if start == end:
                break
            items.insert(0, (start, end))
            k = start - 1
            if k >= 0 and self.tokens[k].low in self.g.conjunctions and not saw_conj:
                saw_conj = True
                end = k - 1 if k - 1 >= 0 and self.tokens[k - 1].text == "," else k
                continue
            if k >= 0 and self.tokens[k].text == "," and saw_conj:
                end = k
                continue
            break
        return items

    def list_right(self, k: int, need_conj: bool) -> list[tuple[int, int]]:
        """Items of a list starting at token k; with `need_conj`, a comma-only list keeps one item."""
        items: list[tuple[int, int]] = []
        saw_conj = False
        while True:
            if k < len(self.tokens) and self.tokens[k].low in self.g.articles:
                k += 1
            end = self.run_right(k)
            if end == k:
                break
            items.append((k, end))
            k = end
            if k < len(self.tokens) and self.tokens[k].text == ",":
                k += 1
            if k < len(self.tokens) and self.tokens[k].low in self.g.conjunctions:
                saw_conj = True
                k += 1
            elif not (k > 0 and self.tokens[k - 1].text == ","):
                break
        if need_conj and not saw_conj:
            return items[:1]
        return items
