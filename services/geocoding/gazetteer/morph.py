"""Lazy pymorphy3 wrapper that turns inflected Russian/Ukrainian place words into dictionary forms
('Харкові' -> 'харків', 'Орла' -> 'орёл'). The stem key already absorbs most case endings; this covers
vowel alternations and fleeting vowels the stem cannot. Analyzers load on first use (about 0.15 s) and
results are cached, so non-Cyrillic traffic never pays for them.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

_ANALYZERS: dict[str, object | None] = {}


def _analyzer(lang: str):
    if lang not in _ANALYZERS:
        try:
            import pymorphy3

            _ANALYZERS[lang] = pymorphy3.MorphAnalyzer(lang=lang)
        except Exception:  # dictionaries missing: degrade to stem-only matching
            _ANALYZERS[lang] = None
    return _ANALYZERS[lang]


@lru_cache(maxsize=50_000)
def _word_lemmas(word: str, lang: str) -> tuple[str, ...]:
    morph = _analyzer(lang)
    if morph is None:
        return ()
    parses = morph.parse(word)
    geo = [p for p in parses if "Geox" in str(p.tag)]
    out: list[str] = []
    for p in (geo or parses)[:3]:
        nf = p.normal_form
        if nf not in out:
            out.append(nf)
    return tuple(out)


def lemma_variants(text: str, language: str, limit: int = 4) -> list[str]:
    """Dictionary-form variants of a short Cyrillic phrase, most likely first."""
    langs = ["uk", "ru"] if language == "uk" else ["ru", "uk"] if language == "ru" else ["ru", "uk"]
    words = text.split()
    if not words or len(words) > 5:
        return []
    out: list[str] = []
    for lang in langs:
        per_word = [_word_lemmas(w.lower(), lang) or (w.lower(),) for w in words]
        for combo in itertools.islice(itertools.product(*per_word), limit):
            s = " ".join(combo)
            if s not in out:
                out.append(s)
    return out[: limit * 2]
