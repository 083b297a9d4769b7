"""Loading the lexicon files (`lexicons/*.yaml`) and turning them into compiled matchers, once.
Every word list of one kind and language becomes ONE regular-expression alternation with a named
group per class (trigger kind, weapon class), so a text is scanned once per kind instead of once
per word. Each pattern that is scanned over whole texts is noted with the phrases it is built from,
for the keyword prefilter (`prefilter.py`). `load_resources()` builds an immutable `NlpResources`
bundle (plus the pymorphy3 analyzers for ru and uk); nothing here runs at import time.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from services.extraction.lexicon_check import check_lexicon
from services.extraction.nlp.engine.numbers import NumberFinder
from services.extraction.nlp.engine.prefilter import KeywordScanner, build_scanners
from shared.datafiles import load_yaml
from shared.lang.morph import Morph
from shared.lang.words import WordKnowledge
from shared.messages.articles import Language

LEXICON_DIR = Path(__file__).parents[1] / "lexicons"
LANGS = get_args(Language)  # ("en", "ru", "uk"), as the wire model declares
NUM_MASK = "\ue000"
FLAGS = re.IGNORECASE | re.UNICODE
# Trigger kinds in priority order (the first group that matches at a position wins); auxiliary
# kinds are scanned separately because their words overlap the main ones ("struck", "hit").
MAIN_TRIGGERS = ("debris_phrase", "interception", "ambiguous_destroy", "debris", "impact", "impact_weak", "attack")
AUX_TRIGGERS = ("debris_verb", "context", "negative")
Note = Callable[[re.Pattern, list[str]], re.Pattern]  # records the phrases a pattern is built from


def _load(name: str) -> dict:
    """One lexicon, checked: a malformed one raises DataFileError (file, line, what is wrong)."""
    return load_yaml(LEXICON_DIR / name, check=check_lexicon)


def _alt(fragments: list[str]) -> str:
    return "|".join(f"(?:{f})" for f in sorted(fragments, key=len, reverse=True))


def _grouped(classes: dict[str, list[str]], note: Note) -> re.Pattern:
    """One alternation, one named group per class, whole words only."""
    groups = [f"(?P<{k}>{_alt(v)})" for k, v in classes.items() if v]
    pattern = re.compile(rf"\b(?<!-)(?:{'|'.join(groups)})(?![\w])", FLAGS)
    return note(pattern, [f for v in classes.values() for f in v])


def _plain(fragments: list[str], note: Note) -> re.Pattern | None:
    if not fragments:
        return None
    phrases = [f.replace("{N}", f"{NUM_MASK}+") for f in fragments]
    return note(re.compile(rf"(?:\b|(?={NUM_MASK}))(?:{_alt(phrases)})(?!\w)", FLAGS), phrases)


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
    toward: frozenset[str] = frozenset()  # "towards X", "в направлении X": where the weapons headed
    conjunctions: frozenset[str] = frozenset()
    articles: frozenset[str] = frozenset()
    title_after: frozenset[str] = frozenset()  # "Kursk region governor": the place is the jurisdiction
    skip_back: frozenset[str] = frozenset()  # passed over looking back for an origin or a title
    short_origin: frozenset[str] = frozenset()  # "с", "з": origins only right before the place
    part_of: re.Pattern | None = None  # the gap between a place and its container ("X district of Y")
    not_after_descriptor: frozenset[str] = frozenset()  # "Regional Military Administration"
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
    head_of: re.Pattern | None = None  # "Name, head of the X Military Administration"
    name_then_title: re.Pattern | None = None  # "Name Surname, the governor"
    name_with_role: re.Pattern | None = None  # "Name Surname, spokesman of ...": a person, not a place
    name_after_title: re.Pattern | None = None  # the name right after a title
    not_names: frozenset[str] = frozenset()  # capitalised words never part of a person's name
    leading: re.Pattern | None = None  # words dropped from the front of a source quoted as written


@dataclass(frozen=True)
class NlpResources:
    morph: Morph
    words: WordKnowledge
    numbers: NumberFinder
    triggers: dict[str, re.Pattern]
    aux_triggers: dict[str, re.Pattern]
    weapons: dict[str, re.Pattern]
    casualties: dict[str, dict[str, re.Pattern | None]]
    places: dict[str, PlaceGrammar]
    counts: dict[str, CountGrammar]
    claims: dict[str, ClaimGrammar]
    time: dict[str, dict]
    article_one: dict[str, frozenset[str]]
    scanners: dict[str, KeywordScanner]  # the keyword prefilter of the patterns above, per language
    counted: dict[str, frozenset[str]] = field(default_factory=dict)  # nouns that count strikes (lemmas)
    decision: Any = None  # decision.DecisionModel, or None: the hand rules decide

    def is_counted(self, word: str, lang: str) -> bool:
        """Is `word` a noun that counts strikes, explosions, shells ("ударів", "strikes")?"""
        words = self.counted.get(lang, frozenset())
        return word.lower() in words or (lang != "en" and self.morph.lemma(word.lower(), lang) in words)


def _place_grammar(d: dict, note: Note) -> PlaceGrammar:
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
        region_anaphora=_plain(d.get("region_anaphora", []), note),
        toward=frozenset(d.get("toward", [])),
        conjunctions=frozenset(d.get("conjunctions", [])), articles=frozenset(d.get("articles", [])),
        title_after=frozenset(d.get("title_after", [])), skip_back=frozenset(d.get("skip_back", [])),
        short_origin=frozenset(d.get("short_origin", [])),
        part_of=re.compile(rf"^(?:{_alt(d['part_of'])})$", FLAGS) if d.get("part_of") else None,
        not_after_descriptor=frozenset(d.get("not_after_descriptor", [])),
    )


@dataclass(frozen=True)
class CountGrammar:
    """How counts attach to places (`lexicons/counts.yaml`), compiled."""

    short_gap: re.Pattern  # "20 over X", "20 – над территорией X": only a preposition between
    left_gap: re.Pattern  # "20 drones were shot down over X": up to three words, then a preposition
    of_gap: re.Pattern  # "7 of 8 drones"
    of_them: re.Pattern  # "destroyed 9 of them"
    distributive: re.Pattern  # "по два", "two each"
    each_after: re.Pattern | None  # "two drones each over A and B"
    including: re.Pattern | None  # "22 over the region, including A and B"
    strike: re.Pattern | None  # "удар", "атака": a weapon-list word that names strikes


def _count_grammar(d: dict) -> CountGrammar:
    preps = _alt(d.get("breakdown_prepositions", [])) or "(?!)"
    area = _alt(d.get("area", [])) or "(?!)"
    maybe = lambda xs: re.compile(rf"(?<!\w)(?:{_alt(xs)})(?!\w)", FLAGS) if xs else None  # noqa: E731
    return CountGrammar(
        short_gap=re.compile(rf"^\s*(?:[–—-]\s*)?(?:(?:{preps})(?:\s+(?:{area}))?)?\s*$", FLAGS),
        left_gap=re.compile(rf"^\s*(?:[–—-]\s*)?(?:[\w’'-]+\s+){{0,3}}?(?:{preps})?\s*$", FLAGS),
        of_gap=re.compile(rf"^\s*(?:{_alt(d.get('of', [])) or '(?!)'})\s*$", FLAGS),
        of_them=re.compile(rf"\s+(?:{_alt(d.get('of_them', [])) or '(?!)'})\b", FLAGS),
        distributive=re.compile(rf"(?:^|\s)(?:{_alt(d.get('distributive', [])) or '(?!)'})\s*$", FLAGS),
        each_after=re.compile(rf"(?:\s+[\w’'-]+){{0,2}}?\s+(?:{_alt(d['each_after'])})\b", FLAGS)
        if d.get("each_after") else None,
        including=maybe(d.get("including", [])),
        strike=re.compile(_alt(d["strike_stems"]), FLAGS) if d.get("strike_stems") else None,
    )


CAPITAL = {"en": "A-Z", "ru": "А-ЯЁ", "uk": "А-ЯІЇЄҐ"}


def _cased(pattern: str) -> str:
    """Speaker patterns are matched ignoring case, except their capital-letter classes ("[A-Z]"),
    which still mean a capitalised word."""
    return re.sub(r"\[(A-Z|А-ЯЁ|А-ЯІЇЄҐ)\]", r"(?-i:[\1])", pattern)


def _speakers(d: dict, lang: str, note: Note) -> dict:
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
        # every match starts with, and contains, one of the verbs: they are the phrases to read
        out["speakers"] = note(re.compile(rf"\b(?:{_alt(sp['before'])})\s+{who}(?!\w)", FLAGS), sp["before"])
    if sp.get("after"):
        out["speaker_verbs_after"] = note(re.compile(rf"(?<=\s)(?:{_alt(sp['after'])})\b", FLAGS), sp["after"])
        out["speaker_before_verb"] = re.compile(rf"(?<!\w){who}\s+\Z", FLAGS)
    return out


def _claim_grammar(d: dict, lang: str, note: Note) -> ClaimGrammar:
    bodies = [(note(re.compile(rf"\b(?:{k})(?!\w)", re.UNICODE), [k]), v) for k, v in d.get("bodies", {}).items()]
    titles = d.get("titles", {}) or {}
    title_names = [(note(re.compile(rf"\b{k}(?!\w)", FLAGS), [k]), v) for k, v in titles.items()]
    bare = [(note(re.compile(rf"\b{k}(?!\w)", FLAGS), [k]), v) for k, v in (d.get("bare_titles") or {}).items()]
    cased = {k: note(re.compile(d[k], re.UNICODE), [d[k]]) for k in ("head_of", "name_then_title", "name_with_role")
             if d.get(k)}
    return ClaimGrammar(bodies, re.compile(_alt(list(titles)), FLAGS) if titles else None, title_names, bare,
                        **_speakers(d, lang, note), **cased,
                        name_after_title=re.compile(d["name_after_title"], re.UNICODE)
                        if d.get("name_after_title") else None,
                        not_names=frozenset(d.get("not_names", [])),
                        leading=re.compile(rf"^(?:{_alt(d['leading'])})\s+", FLAGS) if d.get("leading") else None)


def load_resources(morph: Morph | None = None, decision: bool = True) -> NlpResources:
    """Load every lexicon and the decision model (`decision=False`: the hand rules decide); `morph`
    is the process's pymorphy3 wrapper (built here when not given). Call once per process."""
    from services.extraction.nlp.engine.decision import DecisionModel

    trig, weap, cas = _load("triggers.yaml"), _load("weapons.yaml"), _load("casualties.yaml")
    places, claims, times, nums = _load("places.yaml"), _load("claims.yaml"), _load("time.yaml"), _load("numbers.yaml")
    counts = _load("counts.yaml")
    morph = morph if morph is not None else Morph()
    scanned: dict[str, list[tuple[re.Pattern, list[str]]]] = {lang: [] for lang in LANGS}

    def noter(lang: str) -> Note:
        def note(pattern: re.Pattern, phrases: list[str]) -> re.Pattern:
            scanned[lang].append((pattern, phrases))
            return pattern
        return note

    notes = {lang: noter(lang) for lang in LANGS}
    return NlpResources(
        morph=morph,
        words=WordKnowledge(morph),
        numbers=NumberFinder(nums, morph),
        triggers={lang: _grouped({k: trig[lang].get(k, []) for k in MAIN_TRIGGERS}, notes[lang]) for lang in LANGS},
        aux_triggers={lang: _grouped({k: trig[lang].get(k, []) for k in AUX_TRIGGERS}, notes[lang]) for lang in LANGS},
        weapons={lang: _grouped(weap[lang], notes[lang]) for lang in LANGS},
        casualties={lang: {k: _plain(v or [], notes[lang]) for k, v in cas[lang].items()} for lang in LANGS},
        places={lang: _place_grammar(places[lang], notes[lang]) for lang in LANGS},
        counts={lang: _count_grammar(counts[lang]) for lang in LANGS},
        claims={lang: _claim_grammar(claims[lang], lang, notes[lang]) for lang in LANGS},
        time={lang: {**times[lang], "night_re": _plain(times[lang].get("night", []), notes[lang]),
                     "night_of_re": [notes[lang](re.compile(p, FLAGS), [p]) for p in times[lang].get("night_of", [])],
                     "window_re": [notes[lang](re.compile(p, FLAGS), [p]) for p in times[lang].get("window", [])]}
              for lang in LANGS},
        article_one={lang: frozenset(nums[lang].get("article_one", [])) for lang in LANGS},
        scanners=build_scanners(scanned),  # after every pattern above has been noted
        counted={lang: frozenset(nums[lang].get("counted", [])) for lang in LANGS},
        decision=DecisionModel.load() if decision else None,
    )
