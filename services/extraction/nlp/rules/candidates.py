"""Per-sentence event candidates. A sentence yields events when it has a type trigger plus a
weapon word or incident context (air defence, ПВО...) - or, for strong triggers, when the
previous event was at most two sentences ago. Trigger rules: debris nouns count only with a
fall/damage verb; impacts next to debris are the debris' doing; damage/fire/casualty words make an
`impact` only when nothing else happened in the sentence; "destroyed" is an interception only
next to a weapon word. Counts come from per-place breakdowns ("20 over Bryansk", "20 – над
Брянской областью", "по 2 над X и Y"), else from the number in front of the weapon word.
"""
from __future__ import annotations

import re

from services.extraction.nlp.engine.model import Hit, Place
from services.extraction.nlp.engine.numbers import NumberSpan
from services.extraction.nlp.engine.resources import CountGrammar

STRONG = ("interception", "debris_fall", "impact")
RIGHT_GAP = re.compile(r"^\s*(?:[–—:-]|\()\s*$")  # "Bryansk – 20", "Bryansk (20)"


def type_triggers(trig: list[Hit], weapons: list[Hit], casualties: list[Hit],
                  damage: list[Hit]) -> dict[str, list[Hit]]:
    """Type -> trigger hits for one sentence (after the disambiguation rules above)."""
    if not (trig or casualties or damage) or any(h.kind == "negative" for h in trig):
        return {}
    by: dict[str, list[Hit]] = {}
    for h in trig:
        by.setdefault(h.kind, []).append(h)
    out: dict[str, list[Hit]] = {"interception": list(by.get("interception", []))}
    for h in by.get("ambiguous_destroy", []):
        near = any(abs(w.start - h.end) < 45 or abs(h.start - w.end) < 45 for w in weapons)
        out["interception" if near else "impact_weak"] = out.get("interception" if near else "impact_weak", []) + [h]
    debris = list(by.get("debris_phrase", []))
    if by.get("debris_verb") or by.get("impact"):
        debris += [h for h in by.get("debris", []) if not any(d.start <= h.start < d.end for d in debris)]
    out["debris_fall"] = debris
    out["impact"] = [] if debris else [h for h in by.get("impact", [])
                                       if not any(d.start <= h.start < d.end for d in debris)]
    weak = out.pop("impact_weak", []) + by.get("impact_weak", [])
    weak += [h for h in casualties if h.value]
    weak += [h for h in damage if h.value]
    if not any(out[t] for t in STRONG):
        out["impact"] = sorted(weak, key=lambda h: h.start)
    out["attack"] = by.get("attack", [])
    return {k: v for k, v in out.items() if v}


def weapon_classes(weapons: list[Hit]) -> list[Hit]:
    specific = [w for w in weapons if w.kind not in ("generic_artillery", "unknown")]
    if specific:
        return specific
    return [Hit("artillery" if w.kind == "generic_artillery" else w.kind, w.start, w.end) for w in weapons]


def local_counts(text: str, pool: list[Place], numbers: list[NumberSpan], weapons: list[Hit],
                 cg: CountGrammar) -> dict[int, NumberSpan]:
    """Place id -> its own number in a breakdown list ("20 over Bryansk", "Bryansk - 20")."""
    out: dict[int, NumberSpan] = {}
    for p in pool:
        before = [n for n in numbers if n.end <= p.start and n.value is not None and p.start - n.end < 60]
        gap = text[before[-1].end:p.start] if before else ""
        armed = any(before[-1].end <= w.start and w.end <= p.start for w in weapons) if before else False
        if before and "," not in gap and (cg.short_gap.match(gap) or (armed and cg.left_gap.match(gap))):
            n = before[-1]
            out[id(p)] = n
            if cg.distributive.search(text[max(0, n.start - 8):n.start]) and p.group is not None:
                for q in pool:
                    if q.group == p.group:
                        out.setdefault(id(q), n)
            continue
        after = [n for n in numbers if n.start >= p.end and n.value is not None and n.start - p.end < 6]
        if after and RIGHT_GAP.match(text[p.end:after[0].start]):
            out[id(p)] = after[0]
    for p in pool:  # "над A и B перехватили по десять": a distributive number after its places
        nxt = next((n for n in numbers if n.start >= p.end), None)
        if id(p) in out or nxt is None or nxt.value is None or nxt.start - p.end > 90:
            continue
        between = [q for q in pool if p.end <= q.start < nxt.start]
        if cg.distributive.search(text[max(0, nxt.start - 8):nxt.start]) \
                and not re.search(r"[;:]", text[p.end:nxt.start]) \
                and all(q.group is not None and q.group == p.group for q in between):
            out[id(p)] = nxt
    listed = {p.group for p in pool}
    if not out and len(pool) >= 2 and len(listed) == 1 and None not in listed:  # one list of places
        each = next((n for n in numbers if n.value is not None and cg.each_after is not None
                     and cg.each_after.match(text, n.end)), None)
        if each is not None:  # "Two drones each were shot down over A and B"
            out.update((id(p), each) for p in pool)
    return out


def weapon_count(text: str, weapon: Hit, numbers: list[NumberSpan], article_one: frozenset[str],
                 words_before: list, cg: CountGrammar) -> tuple[int | None, tuple[int, int] | None]:
    """The number right in front of a weapon word ("45 украинских БПЛА", "7 of 8 drones", "a drone")."""
    before = [n for n in numbers if n.end <= weapon.start and weapon.start - n.end < 45]
    if before:
        n = before[-1]
        gap = text[n.end:weapon.start]
        if re.fullmatch(r"\s*(?:[\w’'-]+\s+){0,3}?", gap) and not re.search(r"\d", gap):
            prev = [m for m in numbers if m.end <= n.start]
            if prev and cg.of_gap.match(text[prev[-1].end:n.start]) and prev[-1].value is not None:
                n = prev[-1]
            return n.value, (n.start, n.end) if n.value is not None else None
    if words_before and weapon.kind != "unknown" and not text[weapon.start:weapon.end].lower().endswith("s"):
        for w in words_before[-3:]:
            if w.low in article_one:
                return 1, (w.start, w.end)
    return None, None


def of_them_count(text: str, numbers: list[NumberSpan], trig: list[Hit],
                  cg: CountGrammar) -> tuple[int | None, tuple[int, int] | None]:
    """ "launched drones at X, and air defence destroyed 12 of them": the number right after the
    trigger that counts the weapons named before ("of them", "из них", "з них")."""
    for h in trig:
        for n in numbers:
            if n.value is not None and 0 <= n.start - h.end <= 3 and cg.of_them.match(text, n.end):
                return n.value, (n.start, n.end)
    return None, None
