"""Who reports an incident: claimant rules over the claim grammar of `lexicons/claims.yaml` (named
officials, "Name, head of the X Administration", bodies, bare titles that point back at the last
named official, and the source named at a reporting verb, checked to look like a person's name by
morphology). Run by the scan (`engine/signals.py`)."""
from __future__ import annotations

import re

from services.extraction.nlp.engine.model import Hit, Signals
from services.extraction.nlp.engine.prefilter import TextHits
from services.extraction.nlp.engine.resources import ClaimGrammar, NlpResources
from shared.lang.morph import PERSON_TAGS


def find_claims(res: NlpResources, text: str, lang: str, sig: Signals, ws: TextHits) -> None:
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
    if g.name_with_role is not None:  # a person's name, whether or not a claimant: never a place
        sig.people.extend(m.span("name") for m in ws.finditer(g.name_with_role))
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
