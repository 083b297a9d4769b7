"""Article-wide scans for everything except places: event-type triggers, weapon words, number
phrases, casualties (on a copy of the text whose number phrases are masked, so `{N}` patterns see
one placeholder per number and the value is read back from the number's span), damage / no
damage, claimants ("Governor X", "губернатор X" -> "Governor X" in Latin letters, ministries and
air forces by their English names) and time cues. Each scan is one pass of a merged alternation,
tried only where its keywords occur (`prefilter.py`: same results, less time); the results are `Hit`s
sorted by position that the assembler buckets by sentence.
"""
from __future__ import annotations

import re
from datetime import datetime

from services.extraction.nlp.engine.model import Hit, Signals
from services.extraction.nlp.engine.prefilter import TextHits
from services.extraction.nlp.engine.resources import NUM_MASK, NlpResources
from services.extraction.nlp.engine.text import Token, mask
from services.extraction.nlp.engine.timecues import find_times
from services.extraction.nlp.rules.claims import find_claims

ZERO_MASK = "\ue001"


def _grouped(pattern: re.Pattern, hits: TextHits) -> list[Hit]:
    return [Hit(m.lastgroup or "", m.start(), m.end()) for m in hits.at(pattern)]


def _plain(pattern: re.Pattern | None, hits: TextHits) -> list[re.Match]:
    """Like finditer, but only tried at word starts (every lexicon phrase starts a word)."""
    return hits.at(pattern) if pattern is not None else []


def scan(res: NlpResources, text: str, tokens: list[Token], lang: str, published_at: datetime | None) -> Signals:
    sig = Signals()
    offsets = [t.start for t in tokens if t.text[0].isalnum()]
    starts = res.scanners[lang].hits(text, offsets)
    sig.triggers = sorted(_grouped(res.triggers[lang], starts) + _grouped(res.aux_triggers[lang], starts),
                          key=lambda h: (h.start, h.kind))
    sig.weapons = _grouped(res.weapons[lang], starts)
    sig.numbers = res.numbers.find(tokens, lang)
    _casualties(res, text, lang, sig, starts)
    find_claims(res, text, lang, sig, starts)
    sig.times = [Hit("time", a, b, tw) for a, b, tw in find_times(res.time[lang], text, lang, published_at,
                                                                   starts.finditer)]
    sig.region_refs = [Hit("region_ref", m.start(), m.end()) for m in _plain(res.places[lang].region_anaphora, starts)]
    return sig


def _casualties(res: NlpResources, text: str, lang: str, sig: Signals, starts: TextHits) -> None:
    pats = res.casualties[lang]
    hits: list[Hit] = []
    zero_spans: list[tuple[int, int]] = []
    for kind, fields in (("zero", ("killed", "injured")), ("zero_killed", ("killed",)), ("zero_injured", ("injured",))):
        for m in _plain(pats.get(kind), starts):
            if any(a < m.end() and m.start() < b for a, b in zero_spans):
                continue
            zero_spans.append((m.start(), m.end()))
            hits.extend(Hit(f, m.start(), m.end(), 0) for f in fields)
    numbers = {n.start: n.value for n in sig.numbers if n.value is not None}
    num_spans = [(n.start, n.end) for n in sig.numbers if n.value is not None]
    masked = mask(mask(text, num_spans), zero_spans, ZERO_MASK)
    masked_starts = starts if masked == text else res.scanners[lang].hits(masked, starts.word_starts)
    for f in ("killed", "injured"):
        for m in _plain(pats.get(f), masked_starts):
            k = masked.find(NUM_MASK, m.start(), m.end())
            if k >= 0 and k in numbers:
                hits.append(Hit(f, m.start(), m.end(), numbers[k]))
        for m in _plain(pats.get(f"one_{f}"), masked_starts):
            hits.append(Hit(f, m.start(), m.end(), 1))
    sig.casualties = sorted(hits, key=lambda h: (h.start, h.kind))
    neg = [Hit("damage", m.start(), m.end(), False) for m in _plain(pats.get("no_damage"), starts)]
    pos = [Hit("damage", m.start(), m.end(), True) for m in _plain(pats.get("damage"), starts)
           if not any(h.start <= m.start() < h.end for h in neg)]
    sig.damage = sorted(neg + pos, key=lambda h: h.start)


