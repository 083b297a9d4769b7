"""Loading the lexicon files (`lexicons/*.yaml`) and turning them into compiled matchers, once.
Every word list of one kind and language becomes ONE regular-expression alternation with a named
group per class (trigger kind, weapon class), so a text is scanned once per kind instead of once
per word. `load_resources()` builds an immutable `NlpResources` bundle (plus the pymorphy3
analyzers for ru and uk); nothing here runs at import time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from services.extraction.lexicon_check import check_lexicon
from services.extraction.nlp.morph import Morph
from services.extraction.nlp.numbers import NumberFinder
from shared.datafiles import load_yaml
from shared.messages.articles import Language

LEXICON_DIR = Path(__file__).parent / "lexicons"
LANGS = get_args(Language)  # ("en", "ru", "uk"), as the wire model declares
NUM_MASK = "\ue000"
FLAGS = re.IGNORECASE | re.UNICODE
# Trigger kinds in priority order (the first group that matches at a position wins); auxiliary
# kinds are scanned separately because their words overlap the main ones ("struck", "hit").
MAIN_TRIGGERS = ("debris_phrase", "interception", "ambiguous_destroy", "debris", "impact", "impact_weak", "attack")
AUX_TRIGGERS = ("debris_verb", "context", "negative")


def _load(name: str) -> dict:
    """One lexicon, checked: a malformed one raises DataFileError (file, line, what is wrong)."""
    return load_yaml(LEXICON_DIR / name, check=check_lexicon)


def _alt(fragments: list[str]) -> str:
    return "|".join(f"(?:{f})" for f in sorted(fragments, key=len, reverse=True))


def _grouped(classes: dict[str, list[str]]) -> re.Pattern:
    """One alternation, one named group per class, whole words only."""
    groups = [f"(?P<{k}>{_alt(v)})" for k, v in classes.items() if v]
    return re.compile(rf"\b(?<!-)(?:{'|'.join(groups)})(?![\w])", FLAGS)


def _plain(fragments: list[str]) -> re.Pattern | None:
    if not fragments:
        return None
    body = _alt([f.replace("{N}", f"{NUM_MASK}+") for f in fragments])
    return re.compile(rf"(?:\b|(?={NUM_MASK}))(?:{body})(?!\w)", FLAGS)


@dataclass(frozen=True)
class PlaceGrammar:
    descriptors: dict[str, str]
    plural: dict[str, str]
    prefix: frozenset[str]
    abbrev: dict[str, str]
    prepositions: frozenset[str]
    list_intro: frozenset[str]
    of_heads: frozenset[str]
    modifiers: frozenset[str]
    origin: frozenset[str]
    titles: frozenset[str]
    stop: frozenset[str]
    countries: frozenset[str]
    region_suffix: tuple[str, ...]
    people: frozenset[str]
    nationality: frozenset[str]
    house: re.Pattern
    region_anaphora: re.Pattern | None = None  # "in the region", "над регионом": the report's region
    # per-word answers of the place rules that depend only on the word (and this grammar): see place_rules
    memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class ClaimGrammar:
    bodies: list[tuple[re.Pattern, str]]
    titles: re.Pattern | None
    title_names: list[tuple[re.Pattern, str]]
    bare: list[tuple[re.Pattern, str]]
    speakers: re.Pattern | None = None  # "<verb> <who>": groups `b<i>` (body speaker_values[i]) or `name`
    speaker_verbs_after: re.Pattern | None = None  # "<who> <verb>": the verbs ...
    speaker_before_verb: re.Pattern | None = None  # ... and <who> anchored at the end of the text before one
    speaker_values: tuple[str, ...] = ()
    speaker_words: frozenset[str] = frozenset()  # every word of the body patterns, lower case


@dataclass(frozen=True)
class NlpResources:
    morph: Morph
    numbers: NumberFinder
    triggers: dict[str, re.Pattern]
    aux_triggers: dict[str, re.Pattern]
    weapons: dict[str, re.Pattern]
    casualties: dict[str, dict[str, re.Pattern | None]]
    places: dict[str, PlaceGrammar]
    claims: dict[str, ClaimGrammar]
    time: dict[str, dict]
    article_one: dict[str, frozenset[str]]


def _place_grammar(d: dict) -> PlaceGrammar:
    house = _alt(d.get("house_words", []))
    num = r"\d+(?:[a-zа-яё](?!\w))?(?:/\d+)?"
    numlist = rf"{num}(?:\s*(?:,|and|&|и|і|та|й)\s*{num})*"
    return PlaceGrammar(
        descriptors=d["descriptors"], plural=d.get("plural", {}), prefix=frozenset(d.get("prefix", [])),
        abbrev=d.get("abbrev", {}), prepositions=frozenset(d["prepositions"]),
        list_intro=frozenset(d.get("list_intro", [])), of_heads=frozenset(d.get("of_heads", [])),
        modifiers=frozenset(d.get("modifiers", [])), origin=frozenset(d.get("origin", [])),
        titles=frozenset(t.lower() for t in d.get("titles", [])), stop=frozenset(d.get("stop", [])),
        countries=frozenset(d.get("countries", [])), region_suffix=tuple(d.get("region_suffix", [])),
        people=frozenset(d.get("people", []) + d.get("name_uses", [])), nationality=frozenset(d.get("nationality", [])),
        house=re.compile(rf"(?:\s*,\s*|\s*,?\s*[^.;:!?]{{0,40}}?(?<!\w)(?:{house})\s*)(?P<nums>{numlist})", FLAGS),
        region_anaphora=_plain(d.get("region_anaphora", [])),
    )


CAPITAL = {"en": "A-Z", "ru": "А-ЯЁ", "uk": "А-ЯІЇЄҐ"}


def _cased(pattern: str) -> str:
    """Speaker patterns are matched ignoring case, except their capital-letter classes ("[A-Z]"),
    which still mean a capitalised word."""
    return re.sub(r"\[(A-Z|А-ЯЁ|А-ЯІЇЄҐ)\]", r"(?-i:[\1])", pattern)


def _speakers(d: dict, lang: str) -> dict:
    """"<verb> <source>" and "<source> <verb>" patterns: the source is a listed body or a run of one
    to three capitalised words (validated as a person's name by the scanner). "<source> <verb>" is
    searched verb first, then backwards from it, so no pattern has to be tried at every position."""
    sp = d.get("speakers") or {}
    if not sp:
        return {}
    values = tuple(sp.get("bodies", {}).values())
    body = "|".join(f"(?P<b{i}>{_cased(k)})" for i, k in enumerate(sp.get("bodies", {})))
    up = CAPITAL[lang]
    name = rf"(?P<name>(?-i:[{up}][\w’'-]+(?:[ \t]+[{up}][\w’'-]+){{0,2}}))"
    who = rf"(?:the\s+)?(?:{body}|{name})"
    words = {w.lower() for k in sp.get("bodies", {}) for w in re.findall(r"\w+", re.sub(r"\\[a-zA-Z]", " ", k))}
    out: dict = {"speaker_values": values, "speaker_words": frozenset(words)}
    if sp.get("before"):
        out["speakers"] = re.compile(rf"\b(?:{_alt(sp['before'])})\s+{who}(?!\w)", FLAGS)
    if sp.get("after"):
        out["speaker_verbs_after"] = re.compile(rf"(?<=\s)(?:{_alt(sp['after'])})\b", FLAGS)
        out["speaker_before_verb"] = re.compile(rf"(?<!\w){who}\s+\Z", FLAGS)
    return out


def _claim_grammar(d: dict, lang: str) -> ClaimGrammar:
    bodies = [(re.compile(rf"\b(?:{k})(?!\w)", re.UNICODE), v) for k, v in d.get("bodies", {}).items()]
    titles = d.get("titles", {}) or {}
    title_names = [(re.compile(rf"\b{k}(?!\w)", FLAGS), v) for k, v in titles.items()]
    bare = [(re.compile(rf"\b{k}(?!\w)", FLAGS), v) for k, v in (d.get("bare_titles") or {}).items()]
    return ClaimGrammar(bodies, re.compile(_alt(list(titles)), FLAGS) if titles else None, title_names, bare,
                        **_speakers(d, lang))


def load_resources() -> NlpResources:
    """Load every lexicon and the pymorphy3 analyzers (ru, uk). Call once per process."""
    trig, weap, cas = _load("triggers.yaml"), _load("weapons.yaml"), _load("casualties.yaml")
    places, claims, times, nums = _load("places.yaml"), _load("claims.yaml"), _load("time.yaml"), _load("numbers.yaml")
    morph = Morph(translit=claims.get("translit", {}), translit_uk=claims.get("translit_uk", {}))
    return NlpResources(
        morph=morph,
        numbers=NumberFinder(nums, morph),
        triggers={lang: _grouped({k: trig[lang].get(k, []) for k in MAIN_TRIGGERS}) for lang in LANGS},
        aux_triggers={lang: _grouped({k: trig[lang].get(k, []) for k in AUX_TRIGGERS}) for lang in LANGS},
        weapons={lang: _grouped(weap[lang]) for lang in LANGS},
        casualties={lang: {k: _plain(v or []) for k, v in cas[lang].items()} for lang in LANGS},
        places={lang: _place_grammar(places[lang]) for lang in LANGS},
        claims={lang: _claim_grammar(claims[lang], lang) for lang in LANGS},
        time={lang: {**times[lang], "night_re": _plain(times[lang].get("night", [])),
                     "night_of_re": [re.compile(p, FLAGS) for p in times[lang].get("night_of", [])],
                     "window_re": [re.compile(p, FLAGS) for p in times[lang].get("window", [])]}
              for lang in LANGS},
        article_one={lang: frozenset(nums[lang].get("article_one", [])) for lang in LANGS},
    )
