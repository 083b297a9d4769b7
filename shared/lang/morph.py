"""pymorphy3 wrapper for Russian and Ukrainian, the one both services use: cached lemmas, number-word
lemmas, dictionary forms of inflected place names for the gazetteer ("Харкові" -> "харків", "Орла" ->
"орёл"), the nominative form of place phrases ("Брянской области" -> "Брянская область": parse the head noun, take its
nominative singular from the lexeme, then put each adjective before it into the nominative with
the head's gender; the lexeme is searched because the Ukrainian dictionary has no `sing`
grammeme), bare place names ("Курске" -> "Курск"), and people's names, romanised with
`shared.lang.translit`. All look-ups are memoised per instance.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

import pymorphy3

from shared.lang.translit import romanize

NOUN_TAGS = {"NOUN"}
PERSON_TAGS = {"Name", "Surn", "Patr"}


def _apos(word: str) -> str:
    return word.replace("’", "'").replace("ʼ", "'")


def _cap_like(src: str, word: str) -> str:
    if src[:1].isupper():
        return "-".join(p[:1].upper() + p[1:] if p and p not in {"на", "над", "де", "ла"} else p
                        for p in word.split("-"))
    return word


class Morph:
    def __init__(self) -> None:
        self._an = {"ru": pymorphy3.MorphAnalyzer(lang="ru"), "uk": pymorphy3.MorphAnalyzer(lang="uk")}
        self.place_lemmas = lru_cache(maxsize=50_000)(self._place_lemmas)
        self.parse = lru_cache(maxsize=200_000)(self._parse)
        self.lemma = lru_cache(maxsize=200_000)(self._lemma)
        self.nominative_phrase = lru_cache(maxsize=50_000)(self._nominative_phrase)
        self.nominative_name = lru_cache(maxsize=50_000)(self._nominative_name)
        self.person_name = lru_cache(maxsize=20_000)(self._person_name)

    def _parse(self, word: str, lang: str) -> tuple:
        an = self._an.get(lang)
        return tuple(an.parse(_apos(word))) if an else ()

    def _lemma(self, word: str, lang: str) -> str:
        parses = self.parse(word.lower(), lang)
        if not parses:
            return word.lower()
        for p in parses:
            if p.tag.POS == "NUMR":
                return p.normal_form
        return parses[0].normal_form

    def singular_noun(self, word: str, lang: str) -> bool:
        """True if every noun reading of `word` is singular ("беспилотник", "дрона"; not "ракеты")."""
        if word.isupper():
            return False  # abbreviations (БПЛА) do not show number
        nouns = [p for p in self.parse(word.lower(), lang) if p.tag.POS == "NOUN"]
        return bool(nouns) and not any("plur" in p.tag.grammemes or "Fixd" in p.tag.grammemes for p in nouns)

    def could_be_place(self, word: str, lang: str) -> bool:
        """False for a pronoun or numeral, a word with neither a noun nor an adjective reading
        ("Больше"), or one whose noun readings are all people's names: such a capitalised word is
        not a bare place name."""
        parses = self.parse(word.lower(), lang)[:4]
        if not parses or not all(p.is_known for p in parses):
            return True
        if any(p.tag.POS in {"NPRO", "NUMR"} for p in parses):
            return False
        if any("Geox" in p.tag.grammemes or p.tag.POS == "ADJF" for p in parses):
            return True
        return any(p.tag.POS == "NOUN" and not (PERSON_TAGS & set(p.tag.grammemes)) for p in parses)

    def is_noun_or_adj(self, word: str, lang: str) -> bool:
        return any(p.tag.POS in {"NOUN", "ADJF"} for p in self.parse(word, lang)[:3])

    def _head_parse(self, word: str, lang: str):
        parses = self.parse(word, lang)
        for p in parses:
            if p.tag.POS == "NOUN" and not (PERSON_TAGS & set(p.tag.grammemes)):
                return p
        return parses[0] if parses else None

    @staticmethod
    def _nomn_sing(parse):
        best = None
        for f in parse.lexeme:
            g = f.tag.grammemes
            if "nomn" in g and "plur" not in g:
                return f
            if "nomn" in g and best is None:
                best = f
        return best

    def _nominative_phrase(self, words: tuple[str, ...], lang: str) -> str:
        """Nominative of "Adj* Noun" (the head noun is the last word)."""
        if lang not in self._an or not words:
            return " ".join(words)
        head = self._head_parse(words[-1], lang)
        if head is None:
            return " ".join(words)
        head_nom = self._nomn_sing(head)
        gender = head_nom.tag.gender if head_nom is not None else head.tag.gender
        case = head.tag.case
        out = []
        for w in words[:-1]:
            out.append(self._adj_nominative(w, lang, case, gender))
        out.append(_cap_like(words[-1], head_nom.word if head_nom is not None else words[-1].lower()))
        return " ".join(out)

    def _adj_nominative(self, word: str, lang: str, case, gender) -> str:
        if "-" in word and not self.parse(word, lang):
            return word
        parses = [p for p in self.parse(word, lang) if p.tag.POS == "ADJF"]
        if not parses:  # an adjectival surname ("Каменским"): the district is named like the adjective
            surnames = [p for p in self.parse(word, lang) if "Surn" in p.tag.grammemes]
            chosen = next((p for p in surnames if p.tag.case == case), surnames[0]) if surnames else None
            return _cap_like(word, chosen.normal_form) if chosen is not None else word
        chosen = next((p for p in parses if p.tag.case == case), parses[0])
        for f in chosen.lexeme:
            g = f.tag.grammemes
            if f.tag.POS == "ADJF" and "nomn" in g and "plur" not in g and (gender is None or gender in g):
                return _cap_like(word, f.word)
        return _cap_like(word, chosen.normal_form)

    def _nominative_name(self, word: str, lang: str) -> str:
        """Nominative of a bare place name ("Курске" -> "Курск", "Славянске-на-Кубани")."""
        if lang not in self._an:
            return word
        if "-" in word:
            first, rest = word.split("-", 1)
            if rest[:1].islower():
                return self._nominative_name(first, lang) + "-" + rest
        parses = self.parse(word, lang)
        if not parses:
            return word
        best = next((p for p in parses if "Geox" in p.tag.grammemes), None) or next(
            (p for p in parses if "Pltm" in p.tag.grammemes and p.tag.POS == "NOUN"), None)
        if best is None:
            best = next((p for p in parses if p.tag.POS == "NOUN" and not (PERSON_TAGS & set(p.tag.grammemes))
                         and "inan" in p.tag.grammemes), None)
        if best is None:
            best = next((p for p in parses if p.tag.POS in NOUN_TAGS), parses[0])
        if "plur" in best.tag.grammemes and best.tag.case in ("nomn", "accs"):
            return word  # plural toponym already in the nominative ("Липцы", "Суми")
        if best.tag.POS == "ADJF":
            return self._adj_nominative(word, lang, best.tag.case, best.tag.gender)
        return _cap_like(word, best.normal_form)

    def _person_name(self, words: tuple[str, ...], lang: str) -> str:
        """Nominative, transliterated person name ("Александра Богомаза" -> "Aleksandr Bogomaz")."""
        out = []
        for w in words:
            norm = w
            if lang in self._an:
                parses = self.parse(w, lang)
                p = next((p for p in parses if PERSON_TAGS & set(p.tag.grammemes)), None) or next(
                    (p for p in parses if p.tag.POS == "NOUN" and "anim" in p.tag.grammemes), None)
                if p is not None:
                    norm = p.normal_form
            out.append(self.transliterate(norm, lang).capitalize())
        return " ".join(out)

    def transliterate(self, s: str, lang: str = "ru") -> str:
        """Lower-case romanisation: news style for Russian, the national system for Ukrainian
        ("Олег Мельник" -> "oleh melnyk", "Юрій" -> "yurii")."""
        return romanize(s.lower(), lang)

    def _place_lemmas(self, word: str, lang: str) -> tuple[str, ...]:
        """Up to three dictionary forms of a lower-case word, toponym readings (Geox) first."""
        an = self._an.get(lang)
        if an is None:
            return ()
        parses = an.parse(word)
        geo = [p for p in parses if "Geox" in p.tag.grammemes]
        out: list[str] = []
        for p in (geo or parses)[:3]:
            if p.normal_form not in out:
                out.append(p.normal_form)
        return tuple(out)

    def lemma_variants(self, text: str, language: str, limit: int = 4) -> list[str]:
        """Dictionary-form variants of a short Cyrillic phrase, most likely first, in the report's
        language's dictionary first, then the other's."""
        langs = ["uk", "ru"] if language == "uk" else ["ru", "uk"]
        words = text.split()
        if not words or len(words) > 5:
            return []
        out: list[str] = []
        for lang in langs:
            per_word = [self.place_lemmas(w.lower(), lang) or (w.lower(),) for w in words]
            for combo in itertools.islice(itertools.product(*per_word), limit):
                phrase = " ".join(combo)
                if phrase not in out:
                    out.append(phrase)
        return out[: limit * 2]
