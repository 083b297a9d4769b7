"""Counts as a decision: which number of the text, if any, counts an event's weapons.

Every number of the sentences an event comes from is a candidate count for it; features say where
the number stands relative to the event's place and trigger ("в Ростовской области сбиты восемь
дронов", "над Курской областью — одиннадцать", "20 over Bryansk"), what follows it (a weapon word,
a counted noun such as strikes or explosions, another noun), and whether it is something else (a
time, a date, a casualty figure, a year). The decision stage's count model (logistic regression,
trained with the event model) takes the likeliest number when it is likely enough, else none.
"""
from __future__ import annotations

import math
import re
from typing import Any

from services.extraction.nlp.engine.model import Candidate
from services.extraction.nlp.engine.numbers import NumberSpan

PUNCT = re.compile(r"[,;:–—]|\s-\s|\.\s")
WORD = re.compile(r"[\w’'-]+")


def options(c: Candidate, ctx: Any) -> list[NumberSpan]:
    """The numbers with a value in the sentences `c` was merged from; a weapon named in the
    singular ("a drone", "беспилотник", "дрон") as the number one; and the rules' own choice."""
    spans = [ctx.sentences[i] for i in sorted(c.sentences) if 0 <= i < len(ctx.sentences)]
    inside = [n for n in ctx.numbers if n.value is not None and any(s.start <= n.start < s.end for s in spans)]
    for w in ctx.weapons:
        if any(s.start <= w.start < s.end for s in spans) and (one := ctx.singular(w)) is not None:
            if not any(n.start <= one[0] < n.end for n in inside):
                inside.append(NumberSpan(one[0], one[1], 1, -1, -1))
    rule = c.ev.get("count")
    if c.count is not None and rule is not None and not any((n.start, n.end) == tuple(rule) for n in inside):
        inside.append(NumberSpan(rule[0], rule[1], c.count, -1, -1))
    return sorted(inside, key=lambda n: n.start)


def chars_between(n: NumberSpan, p: Any) -> int:
    """Characters between a number and a place mention."""
    return min(abs(p.start - n.end), abs(n.start - p.end))


def features(c: Candidate, n: NumberSpan, ctx: Any, places_in_sentence: list[Any],
             first: int | None = None, place: Any = None) -> dict[str, float]:
    """`place`: the mention of the candidate's place to measure from (the one nearest the number
    when the text names the place more than once); by default the candidate's own."""
    text = ctx.text
    p = place if place is not None else c.place
    f: dict[str, float] = {"value_log": math.log10(n.value + 1)}
    if n.tok_lo < 0:
        f["implicit_one" if n.value == 1 else "rules_only"] = 1.0
    before = n.end <= p.start
    gap = text[n.end:p.start] if before else text[p.end:n.start]
    f["number_before_place" if before else "number_after_place"] = 1.0
    f["distance"] = math.log1p(len(gap) / 10)
    if PUNCT.search(gap):
        f["punctuation_between"] = 1.0
    if re.fullmatch(r"\s*[–—:-]\s*", gap):
        f["dash_between"] = 1.0
    between = [q for q in places_in_sentence if q is not p and min(n.end, p.end) <= q.start < max(n.start, p.start)]
    if between:
        f["other_place_between"] = math.log1p(len(between))
    nearest = min(places_in_sentence, key=lambda q: min(abs(q.start - n.end), abs(n.start - q.end)), default=None)
    if nearest is p:
        f["nearest_place"] = 1.0
        if all(chars_between(m, p) >= chars_between(n, p) for m in ctx.numbers if m.value is not None and m is not n):
            f["mutual_nearest"] = 1.0  # the place's nearest number, and the number's nearest place
    if not between and not PUNCT.search(gap):
        f["same_clause"] = 1.0
    after = text[n.end:n.end + 40]
    if any(0 <= w.start - n.end <= 25 and not PUNCT.search(text, n.end, w.start) for w in ctx.weapons):
        f["weapon_follows"] = 1.0
    nxt = WORD.search(after)
    if nxt is not None and ctx.counted(nxt.group(), ctx.lang):
        f["counted_noun_follows"] = 1.0
    if any(h.start <= n.start < h.end for h in ctx.casualties):
        f["in_casualty_phrase"] = 1.0
    if any(h.start <= n.start < h.end for h in ctx.times):
        f["in_time_phrase"] = 1.0
    if 1900 <= n.value <= 2100:
        f["year_like"] = 1.0
    if ctx.count_grammar.distributive.search(text[max(0, n.start - 12):n.start]):
        f["distributive"] = 1.0
        if before and not any(n.end <= m.start < p.start for m in ctx.numbers if m.value is not None):
            f["distributive_over_what_follows"] = 1.0  # "по одному — в Калуге, Обнинске и ..."
    if ctx.count_grammar.of_them.match(after):
        f["of_them"] = 1.0
    if c.ev.get("count") == (n.start, n.end):
        f["rules_choice"] = 1.0
    if "type" in c.ev:
        t0 = c.ev["type"][0]
        f["trigger_distance"] = math.log1p(abs(t0 - n.start) / 10)
        if min(n.start, p.start) < t0 < max(n.start, p.start):
            f["trigger_between"] = 1.0
    if n.start == first:
        f["first_number"] = 1.0
    f[f"type_{c.type}"] = 1.0
    if len(places_in_sentence) > 1:
        f["several_places"] = math.log1p(len(places_in_sentence) - 1)
    return f

