"""The data the extraction engine passes between its stages: a matched lexicon phrase (`Hit`), the
report's scanned signals (`Signals`), a place mention as the rules found it (`Place`), and a candidate
event (`Candidate`) before the decision stage keeps or drops it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.extraction.nlp.engine.numbers import NumberSpan


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


@dataclass
class Place:
    start: int
    end: int
    text: str
    normalized: str
    level: str | None = None
    parent: Place | None = None
    street: str | None = None
    houses: list[str] = field(default_factory=list)
    origin: bool = False
    title: bool = False
    container: bool = False  # "в четырех районах Ростовской области": the area the text then itemises
    group: int | None = None
    kind: str = "preposition"  # the rule that found it: descriptor, preposition, genitive, lexicon
    tl: int = 0
    th: int = 0


@dataclass
class Candidate:
    type: str
    weapon: str
    place: Place
    sentence: int
    order: tuple[int, int]
    count: int | None = None
    killed: int | None = None
    injured: int | None = None
    damage: bool | None = None
    claimed_by: str | None = None
    occurred: object | None = None
    weak: bool = False  # an impact known only from its consequences (fire, damage, casualties)
    soft: bool = False  # placed at an official's jurisdiction or at a container the text then itemises
    excluded: str | None = None  # set aside by the sentence rules: origin, title, container
    ungated: bool = False  # from a sentence with triggers but neither a weapon nor incident context
    source: str = "sentence"  # where the place came from (see Assembler._pool)
    list_size: int = 1  # places of its type in the sentence
    sentence_places: int = 0  # places named in the sentence
    mentions: int = 1  # candidates merged into this one
    sentences: set[int] = field(default_factory=set)  # the sentences of the candidates merged into this one
    absorbed: bool = False  # the rules fold it into finer events (see merge._absorb_coarse)
    outcome_elsewhere: bool = False  # an attack whose place, or a place inside it, has an outcome
    ev: dict[str, tuple[int, int]] = field(default_factory=dict)
