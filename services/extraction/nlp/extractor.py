"""The `Extractor`: one article in, one `ExtractionResult` out. It detects the language when the
sender did not declare it, tokenizes and splits sentences once, finds places and the other
signals, assembles and merges events. Synchronous, CPU-only, no I/O, deterministic: the same
input always gives the same output in the same order. All heavy resources come in through
`NlpResources` (see `load_resources`).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from services.extraction.nlp.assemble import Assembler
from services.extraction.nlp.evidence import without_weak_names
from services.extraction.nlp.merge import finish
from services.extraction.nlp.place_rules import Place
from services.extraction.nlp.places import PlaceFinder
from services.extraction.nlp.resources import LANGS, NlpResources
from services.extraction.nlp.signals import Signals, scan
from services.extraction.nlp.text import split_sentences, tokenize
from shared.messages.events import ExtractionResult

UK_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """Cheap script test: Ukrainian letters -> uk, other Cyrillic -> ru, else en."""
    sample = text[:2000]
    cyr = len(CYRILLIC.findall(sample))
    if cyr and cyr >= len(LATIN.findall(sample)) / 4:
        return "uk" if UK_LETTERS.search(sample) else "ru"
    return "en"


class Extractor:
    def __init__(self, resources: NlpResources, places: Any = None):
        self._res = resources
        self._places = PlaceFinder(resources, places)

    def extract(self, *, article_id: str, text: str, title: str | None, language: str | None,
                published_at: datetime | None, source: str | None = None) -> ExtractionResult:
        lang = language if language in LANGS else detect_language(text or title or "")
        body = text or ""
        if not body.strip():
            return ExtractionResult(article_id=article_id, language=lang, published_at=published_at, source=source)
        tokens = tokenize(body)
        sentences = split_sentences(body, tokens)
        places = self._places.find(body, tokens, sentences, lang)
        sig = scan(self._res, body, tokens, lang, published_at)
        places = _not_people_or_numbers(places, sig)
        places = without_weak_names(places, lang, self._res.words, self._places.lexicon)
        cands = Assembler(body, tokens, sentences, places, sig, self._res.article_one[lang], lang,
                          self._res.morph).run()
        events = finish(cands, sentences, sig, places, article_id, body)
        return ExtractionResult(article_id=article_id, language=lang, published_at=published_at, source=source,
                                places=PlaceFinder.to_mentions(places), events=events)


def _not_people_or_numbers(places: list[Place], sig: Signals) -> list[Place]:
    """A claimant's name is not a place ("said Serhiy Lysak": no village Serhiy), nor is a number
    word ("Nine drones were destroyed": not the town of Nizhyn) or a weapon's name ("Geran"),
    however the gazetteer reads them."""
    spans = sig.people + [(n.start, n.end) for n in sig.numbers] + [(w.start, w.end) for w in sig.weapons]
    if not spans:
        return places
    keep = [p for p in places if not any(a <= p.start and p.end <= b for a, b in spans)]
    if len(keep) == len(places):
        return places
    dropped = {id(p) for p in places} - {id(p) for p in keep}
    for p in keep:
        if p.parent is not None and id(p.parent) in dropped:
            p.parent = None
    return keep
