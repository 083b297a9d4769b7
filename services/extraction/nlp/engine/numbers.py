"""Number phrases in text: digits ("45", "1,2 тыс.") and number words in English, Russian and
Ukrainian in any grammatical case ("двадцать два", "трёх", "дванадцять", "twenty-two"). Russian and
Ukrainian words are mapped through their pymorphy3 lemma to the lemma->value table in
`lexicons/numbers.yaml`; consecutive number words are composed (hundreds + tens + units, times a
thousand multiplier). Vague quantifiers ("several", "несколько") are returned with value None so
that callers can tell "no count" from "count not stated".
"""
from __future__ import annotations

from dataclasses import dataclass

from services.extraction.nlp.engine.text import Token
from shared.lang.morph import Morph


@dataclass(frozen=True, slots=True)
class NumberSpan:
    start: int
    end: int
    value: int | None  # None: vague quantifier
    tok_lo: int
    tok_hi: int


def _clock(tokens: list[Token], i: int) -> bool:
    """Token i starts "HH:MM" (or "HH.MM" with two-digit minutes), written without spaces."""
    if i + 2 >= len(tokens):
        return False
    a, sep, b = tokens[i], tokens[i + 1], tokens[i + 2]
    return (sep.text == ":" or (sep.text == "." and len(b.text) == 2)) and b.text.isdigit() and len(b.text) == 2 \
        and len(a.text) <= 2 and int(a.text) < 24 and a.end == sep.start and sep.end == b.start


class NumberFinder:
    def __init__(self, tables: dict, morph: Morph):
        self._morph = morph
        self._memo: dict[tuple[str, str], tuple[str, int | None] | None] = {}
        self._values = {lang: {k.replace("’", "'"): v for k, v in t["values"].items()} for lang, t in tables.items()}
        self._mult = {lang: t.get("multipliers", {}) for lang, t in tables.items()}
        self._vague = {lang: set(t.get("vague", [])) for lang, t in tables.items()}
        self._measures = {lang: frozenset(t.get("measures", [])) for lang, t in tables.items()}
        self._year_after = {lang: frozenset(t.get("year_after", [])) for lang, t in tables.items()}
        self._prefixes = {
            lang: {k[:2] for k in list(self._values[lang]) + list(self._mult[lang]) + list(self._vague[lang])}
            for lang in tables
        }

    def word_value(self, word: str, lang: str) -> tuple[str, int | None] | None:
        """('num', value) | ('mult', factor) | ('vague', None) | None (memoised per word)."""
        key = (word, lang)
        try:
            return self._memo[key]
        except KeyError:
            pass
        if len(self._memo) > 100_000:
            self._memo.clear()
        value = self._memo[key] = self._word_value(word, lang)
        return value

    def _word_value(self, word: str, lang: str) -> tuple[str, int | None] | None:
        low = word.lower().replace("’", "'").replace("ʼ", "'")
        if low[:2] not in self._prefixes.get(lang, ()):
            return None
        key = low if lang == "en" else self._morph.lemma(low, lang)
        if key in self._mult[lang] and key not in self._values[lang]:
            return ("mult", self._mult[lang][key])
        if key in self._values[lang]:
            return ("num", self._values[lang][key])
        if key in self._vague[lang] or low in self._vague[lang]:
            return ("vague", None)
        return None

    def find(self, tokens: list[Token], lang: str) -> list[NumberSpan]:
        """Number phrases, without those that measure something else: an age, a year, a duration
        ("47 years", "1985 року народження", "2 hours": the `measures` of `numbers.yaml`)."""
        return [n for n in self._find(tokens, lang)
                if not self._measure_follows(tokens, n.tok_hi, lang) and not self._year(tokens, n, lang)]

    def _year(self, tokens: list[Token], n: NumberSpan, lang: str) -> bool:
        """A number from 1900 to 2100 in digits right after a word that introduces a year ("born in 1935")."""
        if n.value is None or not (1900 <= n.value <= 2100) or n.tok_lo <= 0 or not tokens[n.tok_lo].text.isdigit():
            return False
        word = tokens[n.tok_lo - 1].low
        words = self._year_after.get(lang, frozenset())
        return word in words or (lang != "en" and self._morph.lemma(word, lang) in words)

    def _measure_follows(self, tokens: list[Token], j: int, lang: str) -> bool:
        measures = self._measures.get(lang)
        if not measures or j >= len(tokens):
            return False
        word = tokens[j].low
        if tokens[j].text == "-" and j + 1 < len(tokens):  # "47-year-old", "5-річний"
            word = tokens[j + 1].low
        word = word.split("-")[0] if lang == "en" else word
        return word in measures or (lang != "en" and self._morph.lemma(word, lang) in measures)

    def _find(self, tokens: list[Token], lang: str) -> list[NumberSpan]:
        out: list[NumberSpan] = []
        i, n = 0, len(tokens)
        prefixes = self._prefixes.get(lang, set())
        while i < n:
            tok = tokens[i]
            if tok.text.isdigit() and _clock(tokens, i):
                i += 3  # "06:30", "20.00": a time of day, not a quantity
                continue
            if tok.text.isdigit():
                value, j = int(tok.text), i + 1
                if j + 1 < n and tokens[j].text in {",", "."} and tokens[j + 1].text.isdigit() \
                        and tokens[j].end == tokens[j + 1].start and tokens[j].start == tok.end:
                    frac = tokens[j + 1].text
                    j += 2
                    if j < n and self._is_mult(tokens[j], lang):
                        value = int(round(float(f"{tok.text}.{frac}") * self._mult_of(tokens[j], lang)))
                        j += 1
                    elif len(frac) == 3 and tokens[i + 1].text == ",":
                        value = int(tok.text + frac)
                elif j < n and self._is_mult(tokens[j], lang):
                    value *= self._mult_of(tokens[j], lang)
                    j += 1
                if j < n and tokens[j].text == "." and j - 1 > i and self._is_mult(tokens[j - 1], lang):
                    j += 1
                out.append(NumberSpan(tok.start, tokens[j - 1].end, value, i, j))
                i = j
                continue
            if tok.is_word and tok.low[:2] in prefixes:
                if (lang != "en" or "-" not in tok.text) and self.word_value(tok.text, lang) is None:
                    i += 1  # not a number word: `_words` would return None
                    continue
                span = self._words(tokens, i, lang)
                if span is not None:
                    out.append(span)
                    i = span.tok_hi
                    continue
            i += 1
        return out

    def _is_mult(self, tok: Token, lang: str) -> bool:
        wv = self.word_value(tok.text, lang) if tok.is_word else None
        return wv is not None and wv[0] == "mult"

    def _mult_of(self, tok: Token, lang: str) -> int:
        return self.word_value(tok.text, lang)[1]  # type: ignore[index]

    def _words(self, tokens: list[Token], i: int, lang: str) -> NumberSpan | None:
        total, current, j, last = 0, 0, i, None
        seen = False
        while j < len(tokens):
            tok = tokens[j]
            parts = tok.text.split("-") if lang == "en" and "-" in tok.text else [tok.text]
            vals = [self.word_value(p, lang) for p in parts] if tok.is_word else [None]
            if any(v is None for v in vals):
                if seen and lang == "en" and tok.low == "and" and j + 1 < len(tokens) \
                        and self.word_value(tokens[j + 1].text, lang) is not None:
                    j += 1
                    continue
                break
            if vals[0][0] == "vague":
                if seen:
                    break
                return NumberSpan(tok.start, tok.end, None, j, j + 1)
            for kind, v in vals:
                if kind == "mult" or (lang == "en" and v == 100 and seen):
                    current = max(current, 1) * v
                    if v >= 1000:
                        total, current = total + current, 0
                else:
                    current += v
            seen, last = True, j
            j += 1
        if not seen:
            return None
        return NumberSpan(tokens[i].start, tokens[last].end, total + current, i, last + 1)
