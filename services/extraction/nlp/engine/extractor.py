"""The `Extractor`: one article in, one `ExtractionResult` out. It detects the language when the
sender did not declare it, tokenizes and splits sentences once, finds places and the other
signals, assembles and merges events. Synchronous, CPU-only, no I/O, deterministic: the same
input always gives the same output in the same order. All heavy resources come in through
`NlpResources` (see `load_resources`).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.extraction.nlp.engine.assemble import Assembler, singular_weapon
from services.extraction.nlp.engine.decision import Context, rule_decision
from services.extraction.nlp.engine.merge import finish
from services.extraction.nlp.engine.model import Candidate, Place, Signals
from services.extraction.nlp.engine.resources import LANGS, NlpResources
from services.extraction.nlp.engine.signals import scan
from services.extraction.nlp.engine.text import split_sentences, tokenize
from services.extraction.nlp.rules.candidates import weapon_count
from services.extraction.nlp.rules.evidence import without_weak_names
from services.extraction.nlp.rules.places import PlaceFinder
from shared.messages.events import ExtractionResult

STRONG_KINDS = frozenset({"interception", "debris_phrase", "debris", "impact"})
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
    """`places` is a `PlaceLexicon` (the gazetteer), `resolver` resolves a report's place mentions
    provisionally for the decision stage's features (the geocoder: `resolve(mentions, language=)`);
    `decide(candidates, context)` replaces the decision stage (training records candidates with it)."""

    def __init__(self, resources: NlpResources, places: Any = None, resolver: Any = None,
                 decide: Callable[[list[Candidate], Context], list[Candidate]] | None = None):
        self._res = resources
        self._places = PlaceFinder(resources, places)
        self._resolver = resolver
        model = resources.decision
        # the model reads where places resolve: without a resolver the hand rules decide
        learned = model is not None and resolver is not None
        self._decide = decide or (model.decide if learned else lambda cands, _ctx: rule_decision(cands))

    def extract(self, *, article_id: str, text: str, title: str | None, language: str | None,
                published_at: datetime | None, source: str | None = None) -> ExtractionResult:
        lang = language if language is not None and language in LANGS else detect_language(text or title or "")
        body = text or ""
        if not body.strip():
            return ExtractionResult(article_id=article_id, language=lang, published_at=published_at, source=source)
        tokens = tokenize(body)
        sentences = split_sentences(body, tokens)
        places = self._places.find(body, tokens, sentences, lang)
        sig = scan(self._res, body, tokens, lang, published_at)
        places = _not_people_or_numbers(places, sig)
        places = without_weak_names(places, lang, self._res.words, self._places.lexicon)
        cands, extras = Assembler(body, tokens, sentences, places, sig, self._res.article_one[lang], lang,
                                  self._res.morph, self._res.counts[lang]).run()
        mentions = PlaceFinder.to_mentions(places)
        starts = [t.start for t in tokens]
        used = {id(c.place) for c in (*cands, *extras)}
        ctx = Context(body, sentences, self._res.places[lang], self._locations(places, mentions, lang, used),
                      self._res.words, lang, weapon_words=len(sig.weapons),
                      incident_words=sum(h.kind in STRONG_KINDS for h in sig.triggers), numbers=sig.numbers,
                      weapons=sig.weapons, casualties=sig.casualties, times=sig.times, places=places,
                      counted=self._res.is_counted,
                      singular=lambda hit: self._one(hit, body, tokens, starts, sig, lang),
                      count_grammar=self._res.counts[lang])
        events = finish(cands, sentences, sig, places, article_id, body, extras,
                        decide=lambda candidates: self._decide(candidates, ctx))
        return ExtractionResult(article_id=article_id, language=lang, published_at=published_at, source=source,
                                places=mentions, events=events)

    def _one(self, hit, text: str, tokens: list, starts: list[int], sig: Signals, lang: str) -> tuple[int, int] | None:
        """Where a weapon word says "one": an English article before it ("a drone"), or a
        Russian/Ukrainian singular noun with no number before it ("беспилотник")."""
        k = bisect_left(starts, hit.start)
        before = [t for t in tokens[max(0, k - 3):k] if t.is_word]
        cg = self._res.counts[lang]
        value, span = weapon_count(text, hit, sig.numbers, self._res.article_one[lang], before, cg)
        if value == 1 and span is not None:
            return span
        if singular_weapon(text, hit, sig.numbers, cg, self._res.morph, lang):
            return hit.start, hit.end
        return None

    def _locations(self, places: list[Place], mentions: list, lang: str, used: set[int]) -> dict[int, Any]:
        """Provisional locations of the places candidates stand at (id(place) -> Location)."""
        if self._resolver is None or not used:
            return {}
        only = {i for i, p in enumerate(places) if id(p) in used}
        locations = self._resolver.resolve(mentions, language=lang, only=only)
        return {id(p): locations[i] for i, p in enumerate(places) if i in only}


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
