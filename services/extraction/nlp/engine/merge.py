"""Finishing: claimants and time windows for each candidate (its sentence first, else the same
paragraph up to three sentences back, else the next sentence of the paragraph for claimants; "the
governor" refers back to the last named governor, and stands alone when none was named),
one event per (type, weapon, place) with the place compared by its normalised name (a place
named twice is one place; an unnamed weapon joins the named one of the same type and place), events
at an official's jurisdiction or an itemised container folded into the same-type events named right
after them, a consequence-only oblast impact folded into the finer debris fall, a district's event folded into
the same-type event of a place the text puts inside it, `attack` events
dropped where the same place, a place inside it, or a finer place in the same or next sentence has
an outcome, events without a place dropped, and the conversion to `ExtractedEvent` with one `Evidence` per filled field.
"""
from __future__ import annotations

from collections.abc import Callable

from services.extraction.nlp.engine.decision import rule_decision
from services.extraction.nlp.engine.model import Candidate, Hit, Place, Signals
from services.extraction.nlp.engine.text import Sentence, SpanIndex
from services.extraction.nlp.rules.places import RANK, ancestors
from shared.messages.events import Evidence, ExtractedEvent

FIELDS = ("type", "weapon", "count", "killed", "injured", "damage", "claimed_by", "occurred_at", "location")


def _resolve_claims(claims: list[Hit]) -> list[Hit]:
    out: list[Hit] = []
    last_named: dict[str, str] = {}
    for h in claims:
        if h.kind == "named":
            last_named[h.value.split(" ")[0] if not h.value.startswith("Acting") else "Governor"] = h.value
            out.append(h)
        elif h.kind in ("body", "speaker", "person"):
            out.append(h)
        elif h.value in last_named:
            out.append(Hit("named", h.start, h.end, last_named[h.value]))
        else:
            out.append(Hit("body", h.start, h.end, h.value))  # "the governor said": no name given
    return out


def _by_sentence(hits: list[Hit], index: SpanIndex) -> dict[int, list[Hit]]:
    out: dict[int, list[Hit]] = {}
    for h in hits:
        s = index.sentence_of(h.start)
        if s is not None:
            out.setdefault(s, []).append(h)
    return out


def _context(sent: int, by_sent: dict[int, list[Hit]], sentences: list[Sentence], back: int,
             ahead: int = 0) -> Hit | None:
    """The hit in the sentence itself, else the nearest one up to `back` sentences before (same
    paragraph, or the sentence right before), else up to `ahead` sentences after in the same
    paragraph ("A house was damaged. No one was hurt, the governor said.")."""
    if by_sent.get(sent):
        return by_sent[sent][0]
    for k in range(sent - 1, max(-1, sent - back - 1), -1):
        if by_sent.get(k) and (sentences[k].para == sentences[sent].para or k == sent - 1):
            return by_sent[k][-1]
    for k in range(sent + 1, min(len(sentences), sent + ahead + 1)):
        if by_sent.get(k) and sentences[k].para == sentences[sent].para:
            return by_sent[k][0]
    return None


def finish(cands: list[Candidate], sentences: list[Sentence], sig: Signals, places: list[Place],
           article_id: str, text: str, extras: list[Candidate] = (), decide: Decide | None = None,
           ) -> list[ExtractedEvent]:
    """Claimants and times, one candidate per (type, weapon, place), the rule flags, the decision,
    then the public form. `decide` keeps or drops each merged candidate (default: `rule_decision`)."""
    index = SpanIndex(sentences)
    claims = _by_sentence(_resolve_claims(sig.claims), index)
    times = _by_sentence(sig.times, index)
    lead = next((h for h in sig.times if (index.sentence_of(h.start) or 0) <= 2), None)
    for c in [*cands, *extras]:
        h = _context(c.sentence, claims, sentences, 3, ahead=1)
        if h is not None:
            c.claimed_by, c.ev["claimed_by"] = h.value, (h.start, h.end)
        t = _context(c.sentence, times, sentences, 3) or lead
        if t is not None:
            c.occurred, c.ev["occurred_at"] = t.value, (t.start, t.end)
    for c in (*cands, *extras):
        _attack_with_consequences(c)
    events = _merge(cands)
    aside = [c for c in _merge(extras) if not any(_key(c) == _key(e) for e in events)]
    folds = _absorb_coarse(events, places)
    kept = [c for c in events if id(c) not in folds]
    for c in kept:
        c.outcome_elsewhere = c.type == "attack" and _has_outcome(c, kept)
        if c.outcome_elsewhere:  # the attack's sentences speak of the outcome at its place too (its figures)
            for o in kept:
                if o.type in ("impact", "debris_fall") and o.place.normalized.lower() == c.place.normalized.lower():
                    o.sentences |= c.sentences
    for c in events:
        c.absorbed = id(c) in folds
    chosen = (decide or rule_decision)([*events, *aside])
    for c in events:
        if c.absorbed and id(c) not in {id(k) for k in chosen}:
            _inherit(c, folds[id(c)])
    pos = {id(p): i for i, p in enumerate(places)}
    return [_to_event(c, pos, article_id, text) for c in chosen if id(c.place) in pos]


Decide = Callable[[list[Candidate]], list[Candidate]]


def _attack_with_consequences(c: Candidate) -> None:
    """An attack that killed, injured or damaged something there is an impact there: the text
    reports an outcome ("a drone attacked a car; the driver died")."""
    if c.type == "attack" and (c.killed or c.injured or c.damage):
        c.type, c.weak = "impact", True


def _key(c: Candidate) -> tuple[str, str, str]:
    return c.type, c.weapon, c.place.normalized.lower()


def _merge(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per (type, weapon, place), the place compared by its normalised name; an
    unnamed weapon joins the named one of the same type and place."""
    known = {(c.type, c.place.normalized.lower()): c.weapon for c in cands if c.weapon != "unknown"}
    merged: dict[tuple, Candidate] = {}
    for c in sorted(cands, key=lambda c: c.order):
        # an unnamed weapon ("air targets", a bare "аппарат") at a place where the same type has a named one is that one
        weapon = known.get((c.type, c.place.normalized.lower()), c.weapon) if c.weapon == "unknown" else c.weapon
        key = (c.type, weapon, c.place.normalized.lower())
        if key not in merged:
            c.weapon = weapon
            c.mentions = 1
            c.sentences = {c.sentence}
            merged[key] = c
            continue
        m = merged[key]
        m.mentions += 1
        m.sentences.add(c.sentence)
        for f in ("count", "killed", "injured"):
            v = getattr(c, f)
            if v is not None and (getattr(m, f) is None or v > getattr(m, f)):
                setattr(m, f, v)
                m.ev[f] = c.ev.get(f)
        if c.damage is not None and (m.damage is None or (c.damage and not m.damage)):
            m.damage, m.ev["damage"] = c.damage, c.ev.get("damage")
        for f, e in (("claimed_by", "claimed_by"), ("occurred", "occurred_at")):
            if getattr(m, f) is None and getattr(c, f) is not None:
                setattr(m, f, getattr(c, f))
                m.ev[e] = c.ev.get(e)
        for f in ("type", "weapon"):
            if f not in m.ev and f in c.ev:
                m.ev[f] = c.ev.get(f)
    return list(merged.values())


def _absorb_coarse(events: list[Candidate], places: list[Place]) -> dict[int, list[Candidate]]:
    """Which events fold into finer ones (id -> the finer events): an oblast-level impact/debris
event restated by finer places nearby, a district-level event restated by a place the text puts
inside that district ("near X in Y district ... in Y district"), and an event at an official's
jurisdiction or an itemised container restated at the places named right after it."""
    oblasts = [p for p in places if p.level == "oblast"]
    drop: dict[int, list[Candidate]] = {}
    for c in events:
        if c.soft:  # a jurisdiction or container event restated at the places named right after it
            finer = [d for d in events if d is not c and not d.soft and d.type == c.type and d.weapon == c.weapon
                     and 0 <= d.sentence - c.sentence <= 2]
            _fold(c, finer, drop)
            continue
        name = c.place.normalized.lower()
        if RANK.get(c.place.level or "") == 3:  # a district restated by a place the text puts inside it
            _fold(c, [d for d in events if d is not c and d.type == c.type and d.weapon == c.weapon
                      and any(a.normalized.lower() == name for a in ancestors(d.place))], drop)
            continue
        if c.type not in ("impact", "debris_fall") or c.place.level != "oblast":
            continue
        finer = []
        for d in events:
            same = d.type == c.type or (c.weak and d.type == "debris_fall")  # a fire there was the debris' doing
            if d is c or not same or d.weapon != c.weapon or RANK.get(d.place.level or "", 2) >= 4:
                continue
            anc = [a.normalized.lower() for a in ancestors(d.place) if a.level == "oblast"]
            lo, hi = sorted((c.place.start, d.place.start))
            between = any(lo < p.start < hi and p.normalized.lower().split()[0] != name.split()[0] for p in oblasts)
            if name in anc or (not anc and abs(d.sentence - c.sentence) <= 3 and not between):
                finer.append(d)
        _fold(c, finer, drop)
    return drop


def _fold(c: Candidate, finer: list[Candidate], drop: dict[int, list[Candidate]]) -> None:
    if finer:
        drop[id(c)] = finer


def _inherit(c: Candidate, finer: list[Candidate]) -> None:
    """`c` is folded into `finer`, which inherit the fields they lack."""
    for d in finer:
        for f in ("killed", "injured", "damage", "claimed_by") + (("count",) if len(finer) == 1 else ()):
            if getattr(d, f) is None and getattr(c, f) is not None:
                setattr(d, f, getattr(c, f))
                if f in c.ev:
                    d.ev[f] = c.ev[f]


def _has_outcome(att: Candidate, cands) -> bool:
    name = att.place.normalized.lower()
    for c in cands:
        if c.type == "attack":
            continue
        if c.place.normalized.lower() == name or any(a.normalized.lower() == name for a in ancestors(c.place)):
            return True
        close = 0 <= c.sentence - att.sentence <= 1
        finer = RANK.get(att.place.level or "", -1) >= 3 and RANK.get(c.place.level or "", 9) < RANK[att.place.level]
        if close and finer and c.place.parent is None:
            return True
    return False


def _to_event(c: Candidate, pos: dict[int, int], article_id: str, text: str) -> ExtractedEvent:
    ev = dict(c.ev)
    ev["location"] = (c.place.start, c.place.end)
    evidence = [Evidence(article_id=article_id, field=f, span=ev[f], text=text[ev[f][0]:ev[f][1]])
                for f in FIELDS if f in ev and ev[f] is not None]
    return ExtractedEvent(type=c.type, weapon=c.weapon, count=c.count, killed=c.killed, injured=c.injured,
                          damage=c.damage, claimed_by=c.claimed_by, occurred=c.occurred,
                          place=pos[id(c.place)], evidence=evidence)
