"""The place rules themselves, run over a `RuleContext` (see `place_rules.py`): descriptor rules
first (they are the most reliable and claim their tokens), then preposition + name rules, then,
when a `PlaceLexicon` is supplied, bare capitalised names it knows. Lists are expanded so that
every listed place becomes its own mention with the descriptor's level; items of one list share
a `group` so that a distributive count or a parent can be spread over them.
"""
from __future__ import annotations

import re
from typing import Any

from services.extraction.nlp.rules.place_rules import RuleContext, strip_poss

SETTLEMENT = {"city", "village"}
SENTENCE_OPENERS = {".", "!", "?", ":", "\"", "»"}


def _level(ctx: RuleContext, lemma: str) -> str | None:
    return ctx.g.descriptors.get(lemma)


def _lexicon_level(ctx: RuleContext, lexicon: Any, surface: str) -> str | None:
    if lexicon is None:
        return None
    try:
        return lexicon.level_of(surface, ctx.lang)
    except Exception:  # a broken lexicon must not break extraction
        return None


def _bare_level(ctx: RuleContext, normalized: str, surface: str, lexicon: Any) -> str | None:
    low = normalized.lower()
    if ctx.g.region_suffix and low.endswith(ctx.g.region_suffix):
        return "oblast"
    return _lexicon_level(ctx, lexicon, surface) or _lexicon_level(ctx, lexicon, normalized)


def descriptor_rules(ctx: RuleContext) -> None:
    toks, n = ctx.tokens, len(ctx.tokens)
    en = ctx.lang == "en"
    for i in range(n):
        lemma = ctx.desc_lemma(i)
        if lemma is None or ctx.used[i]:
            continue
        level = _level(ctx, lemma)
        if en and toks[i].is_cap and i + 1 < n and toks[i + 1].low in ctx.g.not_after_descriptor:
            continue
        j = i
        while j > 0 and toks[j - 1].low in ctx.g.modifiers and not ctx.used[j - 1]:
            j -= 1
        plural = (en and toks[i].low in ctx.g.plural) or (not en and _plural(ctx, i, j))
        if _postfix(ctx, i, j, lemma, level, plural):
            continue
        if en and strip_poss(toks[i].low) != toks[i].low:
            continue  # "the region's governor": a possessive descriptor only ends a name before it
        _prefix(ctx, i, lemma, level, plural)


def _postfix(ctx: RuleContext, i: int, j: int, lemma: str, level: str | None, plural: bool) -> bool:
    """"<Name> Region", "Брянской области", "A, B and C districts": the descriptor at `i` (its
    modifiers from `j`) after the names. Whether it named any."""
    toks, en = ctx.tokens, ctx.lang == "en"
    items = ctx.list_left(j) if plural else ([(ctx.run_left(j), j)] if ctx.run_left(j) < j else [])
    if not en:
        items = [(lo, hi) for lo, hi in (_adj_trim(ctx, lo, hi) for lo, hi in items) if lo < hi]
    if not (items and (en or level not in SETTLEMENT)):
        return False
    grp = ctx.new_group() if len(items) > 1 else None
    for k, (lo, hi) in enumerate(items):
        last = k == len(items) - 1
        words = ctx.words(lo, hi) + ctx.words(j, i + 1)
        if en and level in SETTLEMENT:
            norm = ctx.norm_phrase(lo, hi)
        elif en:
            norm = ctx.norm_phrase(lo, hi) + " " + (strip_poss(toks[i].text) if not plural else lemma.title()
                                                    if toks[i].is_cap else lemma)
        else:
            norm = ctx.morph.nominative_phrase(words, ctx.lang)
        street = ctx.norm_phrase(lo, hi) if level == "street" else None
        ctx.add(lo, i + 1 if last else hi, norm, level, "descriptor", grp, street)
    if not en and len(items) == 1 and level not in ("street",):
        _elided(ctx, i, level)
    return True


def _prefix(ctx: RuleContext, i: int, lemma: str, level: str | None, plural: bool) -> None:
    """"village of X", "districts, including A, B and C", "улица Лодыгина", "г. Курск": the
    descriptor at `i` before the names."""
    toks, n, en = ctx.tokens, len(ctx.tokens), ctx.lang == "en"
    k = i + 1
    if k < n and toks[k].text == "." and not en:
        if toks[i].low not in ctx.g.abbrev:
            return  # a whole descriptor word before a full stop ends its sentence: only an abbreviation reads on
        k += 1
    if en:
        if k < n and toks[k].text in {",", ":"}:
            k += 1
        if k < n and (toks[k].low in ctx.g.list_intro or (toks[k].low == "of" and lemma in ctx.g.prefix)):
            k += 2 if toks[k].low == "such" else 1
        elif not plural and lemma not in ctx.g.prefix:
            return
    elif lemma not in ctx.g.prefix:
        return
    targets = ctx.list_right(k, need_conj=False) if plural else [(k, ctx.run_right(k))]
    if not en:  # "с. Безруки Дергачівської громади": the adjective before a descriptor is the next place's
        targets = [(lo, hi - 1 if hi - 1 > lo and hi < n and ctx.desc_lemma(hi) is not None else hi)
                   for lo, hi in targets]
    grp = ctx.new_group() if len(targets) > 1 else None
    for lo, hi in targets:
        if hi <= lo:
            continue
        name = ctx.text[toks[lo].start:toks[hi - 1].end]
        if level == "street":
            desc = ctx.text[toks[i].start:toks[i].end] if en else lemma
            ctx.add(i if not plural else lo, hi, f"{desc} {name}" if not en else f"{name} {lemma.title()}",
                    level, "descriptor", grp, street=name)
        else:
            ctx.add(lo if (plural or en) else i, hi, ctx.norm_phrase(lo, hi), level, "descriptor", grp)


def _elided(ctx: RuleContext, i: int, level: str | None) -> None:
    """ru/uk "в Голосіївському районі, Дарницькому та Печерському": the head noun is left out."""
    toks = ctx.tokens
    if i + 1 >= len(toks) or toks[i + 1].text != ",":
        return
    items = ctx.list_right(i + 2, need_conj=True)
    adj = [(lo, hi) for lo, hi in items if _adj_trim(ctx, lo, hi)[0] == lo]
    if len(adj) != len(items) or (items and items[-1][1] < len(toks) and ctx.desc_lemma(items[-1][1]) is not None):
        return
    for lo, hi in adj:
        ctx.add(lo, hi, ctx.morph.nominative_phrase(ctx.words(lo, hi) + (toks[i].text,), ctx.lang), level, "descriptor")


def _adj_trim(ctx: RuleContext, lo: int, hi: int) -> tuple[int, int]:
    """ru/uk: keep only the adjectives right before a descriptor ("Губернатор Курской" -> "Курской").
    An adjectival surname counts ("Каменским" is also the surname Каменский): districts are named so."""
    k = hi
    while k > lo:
        w = ctx.tokens[k - 1].text
        parses = ctx.morph.parse(w.lower(), ctx.lang)[:4]
        if not (any(p.tag.POS == "ADJF" or "Surn" in p.tag.grammemes for p in parses) or "-" in w):
            break
        k -= 1
    return (k, hi)


def _plural(ctx: RuleContext, i: int, j: int) -> bool:
    """ru/uk: a descriptor read as plural. "громади", "области" are also singular genitives: they are
    plural when a plural reading exists and a coordinated list stands before them ("Білопільська,
    Глухівська та Новослобідська громади")."""
    parses = ctx.morph.parse(ctx.tokens[i].low, ctx.lang)[:4]
    if not parses:
        return False
    if "plur" in parses[0].tag.grammemes:
        return True
    return any("plur" in p.tag.grammemes for p in parses) and len(ctx.list_left(j)) > 1


def _tag(ctx: RuleContext, i: int) -> set[str]:
    parses = ctx.morph.parse(ctx.tokens[i].low, ctx.lang)
    return set(parses[0].tag.grammemes) if parses else set()


def preposition_rules(ctx: RuleContext, lexicon: Any) -> None:
    toks, n = ctx.tokens, len(ctx.tokens)
    en = ctx.lang == "en"
    for i in range(n):
        low = toks[i].low
        heads = low in ctx.g.of_heads and i + 1 < n and toks[i + 1].low == "of"
        after_place = en and low == "of" and i > 0 and ctx.used[i - 1]
        if low not in ctx.g.prepositions and not heads and not after_place:
            continue
        if i > 0 and toks[i - 1].low in ("according", "due", "thanks", "согласно"):
            continue
        k = i + (2 if heads else 1)
        if k < n and toks[k].low in ctx.g.articles:
            k += 1
        items = ctx.list_right(k, need_conj=True)
        grp = ctx.new_group() if len(items) > 1 else None
        for lo, hi in items:
            if hi < n and ctx.desc_lemma(hi) is not None:
                break  # "in Bryansk region": the descriptor rule owns it
            if not en and not all(ctx.morph.is_noun_or_adj(w, ctx.lang) for w in ctx.words(lo, hi)):
                break
            if _demonym_use(ctx, hi):
                break
            norm = ctx.norm_phrase(lo, hi)
            surface = ctx.text[toks[lo].start:toks[hi - 1].end]
            ctx.add(lo, hi, norm, _bare_level(ctx, norm, strip_poss(surface), lexicon), "preposition", grp)


def lexicon_rules(ctx: RuleContext, lexicon: Any) -> None:
    if lexicon is None:
        return
    toks, n = ctx.tokens, len(ctx.tokens)
    names, used = ctx.name_flags(), ctx.used  # is_name(k) == names[k] and not used[k]
    for i in range(n):
        if used[i] or not names[i]:
            continue
        for width in (3, 2, 1):
            hi = i + width
            if hi > n or not all((names[k] and not used[k]) or toks[k].text == "-" for k in range(i, hi)):
                continue
            surface = ctx.text[toks[i].start:toks[hi - 1].end]
            level = _lexicon_level(ctx, lexicon, strip_poss(surface))
            if level is not None:
                if not _demonym_use(ctx, hi) and not _common_word(ctx, i, hi):
                    ctx.add(i, hi, ctx.norm_phrase(i, hi), level, "lexicon")
                break


def _common_word(ctx: RuleContext, i: int, hi: int) -> bool:
    """A bare capitalised word that is an ordinary word, not a name: in ru/uk a pronoun, numeral,
    adjective or first name ("Цієї", "Больше", "Сім", "Юрий"); in English a sentence-initial word
    that the text also uses in lower case ("Enemy drones ... the enemy")."""
    if hi - i != 1:
        return False
    word = ctx.tokens[i].text
    if word.lower() in ctx.g.titles:
        return True  # "Мер Києва": an official's title
    if ctx.lang != "en":
        return ctx.morph.lemma(word, ctx.lang) in ctx.g.nationality or not ctx.morph.could_be_place(word, ctx.lang)
    prev = ctx.tokens[i - 1] if i > 0 else None
    initial = prev is None or prev.text in SENTENCE_OPENERS or "\n" in ctx.text[prev.end:ctx.tokens[i].start]
    return initial and re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", ctx.text) is not None


def _demonym_use(ctx: RuleContext, hi: int) -> bool:
    """A name right before an inhabitants noun ('Smolensk residents') names people, not a scene."""
    if hi >= len(ctx.tokens):
        return False
    word = ctx.tokens[hi].low
    people = ctx.g.people
    return word in people or (ctx.lang != "en" and ctx.morph.lemma(word, ctx.lang) in people)


def genitive_parents(ctx: RuleContext) -> None:
    """ru/uk: "районе Волгограда" - a capitalised noun right after a descriptor place is its parent."""
    if ctx.lang == "en":
        return
    toks = ctx.tokens
    for p in list(ctx.places):
        if p.kind != "descriptor" or p.level in (None, "oblast") or p.th >= len(toks):
            continue
        k = p.th
        if ctx.is_name(k) and ctx.desc_lemma(k) is None:
            hi = ctx.run_right(k, limit=2)
            if hi < len(toks) and ctx.desc_lemma(hi) is not None:
                continue
            if "gent" not in _tag(ctx, hi - 1) and not any("gent" in str(x.tag) for x in ctx.morph.parse(
                    toks[hi - 1].low, ctx.lang)[:3]):
                continue
            q = ctx.add(k, hi, ctx.norm_phrase(k, hi), None, "genitive")
            if q is not None:
                p.parent = q


__all__ = ["descriptor_rules", "preposition_rules", "lexicon_rules", "genitive_parents"]
