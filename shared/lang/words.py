"""How ordinary a word is in its language: wordfreq's Zipf frequency (its small lists, ~20 MB for
en+ru+uk, loaded on first use) together with pymorphy3's reading of the word. A capitalised word
that is an ordinary word of the language ("Атака", "Серед", "Сил", "Drones", "East") does not name a
place by itself; a toponym reading (pymorphy3's `Geox`) or a rare word may."""
from __future__ import annotations

from functools import lru_cache

from shared.lang.morph import PERSON_TAGS, Morph

ORDINARY_ZIPF = {"en": 3.3, "ru": 3.0, "uk": 3.0}  # at least this frequent: an everyday word
WORDLIST = "small"


class WordKnowledge:
    """Frequency and morphology of single words, memoised. One per process, like `Morph`."""

    def __init__(self, morph: Morph):
        self._morph = morph
        self.zipf = lru_cache(maxsize=100_000)(self._zipf)
        self.reading = lru_cache(maxsize=100_000)(self._reading)

    @staticmethod
    def _zipf(word: str, lang: str) -> float:
        import wordfreq

        return wordfreq.zipf_frequency(word, lang, wordlist=WORDLIST)

    def _reading(self, word: str, lang: str) -> str:
        """"toponym", "person", "ordinary" or "rare" for a single word in `lang`."""
        low = word.lower()
        if lang in ("ru", "uk"):
            parses = self._morph.parse(low, lang)[:4]
            if any("Geox" in p.tag.grammemes for p in parses):
                return "toponym"
            if parses and PERSON_TAGS & set(parses[0].tag.grammemes):
                return "person"
            if parses and all(p.is_known for p in parses) and self.zipf(low, lang) >= ORDINARY_ZIPF[lang]:
                return "ordinary"
            return "rare"
        return "ordinary" if self.zipf(low, lang) >= ORDINARY_ZIPF.get(lang, 3.3) else "rare"
