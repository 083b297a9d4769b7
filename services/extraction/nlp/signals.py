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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.extraction.nlp.numbers import NumberSpan
from services.extraction.nlp.prefilter import TextHits
from services.extraction.nlp.resources import NUM_MASK, ClaimGrammar, NlpResources
from services.extraction.nlp.text import Token, mask
from services.extraction.nlp.timecues import find_times
from shared.lang.morph import PERSON_TAGS

ZERO_MASK = "\ue001"


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    start: int
    end: int
    value: Any = None


@dataclass
class Signals:
    triggers: list[Hit] = field(default_factory=list)
    weapons: list[Hit] = field(default_factory=list)
    numbers: list[NumberSpan] = field(default_factory=list)
    casualties: list[Hit] = field(default_factory=list)
    damage: list[Hit] = field(default_factory=list)
    claims: list[Hit] = field(default_factory=list)
    people: list[tuple[int, int]] = field(default_factory=list)  # spans of claimants' personal names
    times: list[Hit] = field(default_factory=list)
    region_refs: list[Hit] = field(default_factory=list)  # "in the region": back to the report's region


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
    _claims(res, text, lang, sig, starts)
    sig.times = [Hit("time", a, b, tw) for a, b, tw in find_times(res.time[lang], text, lang, published_at,
                                                                   starts.finditer)]
    sig.region_refs = [Hit("region_ref", m.start(), m.end()) for m in _plain(res.places[lang].region_anaphora, starts)]
    return sig


def _casualties(res: NlpResources, text: str, lang: str, sig: Signals, starts: TextHits) -> None:
    pats = res.casualties[lang]
    hits: list[Hit] = []
    zero_spans = []
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


def _claims(res: NlpResources, text: str, lang: str, sig: Signals, ws: TextHits) -> None:
    g = res.claims[lang]
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return not any(x < b and a < y for x, y in taken)

    if g.head_of is not None:
        for m in ws.finditer(g.head_of):
            name = m.group("name1") or m.group("name2")
            body = " ".join(m.group("body").split())
            value = f"{name}, {m.group('title')} of {body}" if name else body
            hits.append(Hit("named" if name else "body", m.start(), m.end(), value))
            for k in ("name1", "name2"):
                if m.group(k):
                    sig.people.append(m.span(k))
            taken.append((m.start(), m.end()))
    if g.name_then_title is not None:
        for m in ws.finditer(g.name_then_title):
            title = ("Acting " if m.group("acting") else "") + m.group("title").title()
            if not free(m.start(), m.end()):
                continue
            hits.append(Hit("named", m.start(), m.end(), f"{title} {m.group('name')}"))
            sig.people.append(m.span("name"))
            taken.append((m.start(), m.end()))
    for pat, title in g.title_names:
        for m in ws.finditer(pat):
            if not free(m.start(), m.end()):
                continue
            nm = g.name_after_title.match(text, m.end()) if g.name_after_title is not None else None
            ok_en = nm is not None and (len(nm.group("name").split()) > 1 or not nm.group("name").endswith("s"))
            if nm and nm.group("name").split()[0] not in g.not_names and (lang != "en" or ok_en):
                words = tuple(w for w in nm.group("name").split() if w not in g.not_names)
                name = " ".join(words) if lang == "en" else res.morph.person_name(words, lang)
                hits.append(Hit("named", m.start(), nm.end(), f"{title} {name}"))
                sig.people.append(nm.span("name"))
                taken.append((m.start(), nm.end()))
    for pat, name in g.bodies:
        for m in ws.finditer(pat):
            if free(m.start(), m.end()):
                value = m.group().strip() if name == "@text" else name
                hits.append(Hit("body", m.start(), m.end(), value))
                taken.append((m.start(), m.end()))
    for pat, title in g.bare:
        for m in ws.finditer(pat):
            if free(m.start(), m.end()):
                hits.append(Hit("bare", m.start(), m.end(), title))
    for m in _speaker_matches(g, text, ws):
        hit = _speaker(res, g, m, lang)
        if hit is not None and free(hit.start, hit.end):
            hits.append(hit)
            taken.append((hit.start, hit.end))
            if hit.kind == "person":
                sig.people.append((hit.start, hit.end))
    sig.claims = sorted(hits, key=lambda h: h.start)


SPEAKER_WINDOW = 120  # characters before a reporting verb searched for its source ...
SPEAKER_WORDS = 8  # ... starting at one of its last words
WORD = re.compile(r"(?<![\w'’-])[\w'’-]+")
LAST_WORD = re.compile(r"[\w'’-]+(?=\s+\Z)")


def _speaker_matches(g: ClaimGrammar, text: str, ws: TextHits) -> list[re.Match]:
    found = ws.finditer(g.speakers) if g.speakers is not None else []
    if g.speaker_verbs_after is not None:
        for v in ws.finditer(g.speaker_verbs_after):
            last = LAST_WORD.search(text, max(0, v.start() - 40), v.start())
            if last is None or not (last.group()[0].isupper() or last.group().lower() in g.speaker_words):
                continue  # "drones were shot down, it was reported": no source can end here
            lo = max(0, v.start() - SPEAKER_WINDOW)
            words = list(WORD.finditer(text, lo, v.start()))[-SPEAKER_WORDS:]
            for w in [w for w in words if w.group()[0].isupper() or w.group().lower() in g.speaker_words]:
                m = g.speaker_before_verb.match(text, w.start(), v.start())
                if m is not None:
                    found.append(m)
                    break
    return found


def _speaker(res: NlpResources, g: ClaimGrammar, m: re.Match, lang: str) -> Hit | None:
    """The source at a reporting verb: a listed body, or a capitalised run that reads as a person's
    name (English: not a country or a stop word; Russian, Ukrainian: morphology knows one of the
    words as a given name or surname, or the single word as an animate noun)."""
    for key, value in m.groupdict().items():
        if value and key != "name":
            text = value
            v = g.speaker_values[int(key[1:])]
            if v == "@text":
                v = " ".join(text.split())
                v = g.leading.sub("", v) if g.leading is not None else v
            elif v == "@channel":
                v = "Telegram channel " + text.split()[-1]
            return Hit("speaker", m.start(key), m.end(key), v)
    words = tuple(m.group("name").split())
    if any(w in g.not_names for w in words) or words[0] in res.places[lang].countries:
        return None
    before = m.string[max(0, m.start("name") - 20):m.start("name")].split()
    if m.start() == m.start("name") and before and before[-1].lower() in res.places[lang].prepositions:
        return None  # "in Kropyvnytskyi said": a place, not a person
    if lang == "en":
        return Hit("person", m.start("name"), m.end("name"), " ".join(words))
    parses = [res.morph.parse(w, lang) for w in words]
    person = any(PERSON_TAGS & set(p.tag.grammemes) for ps in parses for p in ps)
    if len(words) == 1:
        first = parses[0][0] if parses[0] else None
        person = person or (first is not None and first.tag.POS == "NOUN" and "anim" in first.tag.grammemes)
        if first is not None and "Geox" in first.tag.grammemes:
            return None
    if not person:
        return None
    return Hit("person", m.start("name"), m.end("name"), res.morph.person_name(words, lang))
