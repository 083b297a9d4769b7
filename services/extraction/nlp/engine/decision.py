"""The decision stage: which candidate events a report really gives.

The assembler proposes candidates generously (every type at every place of a sentence, with the
places the rules set aside flagged rather than dropped, events the rules would fold into finer
ones flagged too); this stage keeps or drops each from features a reviewer can read: the place's
role and cue, its level and where it resolves, the rules' flags, what else the report says there.

The weights are learned (logistic regression, `services/extraction/train_decision.py`, which also
reports the cross-validated figures) and ship as a small versioned JSON file,
`models/decision.json`; `make decision-model` rebuilds it. With no model file the hand rules
decide alone (`rule_decision`). Every feature is defined here, once, for training and for use.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.extraction.nlp.engine.model import Candidate
from services.extraction.nlp.engine.resources import PlaceGrammar
from services.extraction.nlp.engine.text import Sentence, SpanIndex
from services.extraction.nlp.rules.places import RANK, ancestors

MODEL_FILE = Path(__file__).parents[1] / "models" / "decision.json"
MODEL_FORMAT = 1
LEVELS = {"oblast": "region", "country": "region", "sea": "region", "district": "district", "raion": "district",
          "hromada": "district", "city": "town", "village": "town", "city_district": "quarter", "street": "quarter"}
PRECISION_RANK = {"country": 5, "sea": 5, "admin1": 4, "admin2": 3, "city": 2, "city_district": 1, "street": 0}


@dataclass
class Context:
    """What the features read besides the candidate itself."""

    text: str
    sentences: list[Sentence]
    grammar: PlaceGrammar
    locations: dict[int, Any] = field(default_factory=dict)  # id(place) -> Location (provisional)
    words: Any = None  # shared.lang.words.WordKnowledge
    lang: str = "en"
    weapon_words: int = 0  # weapon words in the whole report
    incident_words: int = 0  # interception / impact / debris triggers in the whole report
    numbers: list = field(default_factory=list)  # NumberSpan, the report's numbers
    weapons: list = field(default_factory=list)  # Hit, weapon words
    casualties: list = field(default_factory=list)  # Hit, casualty phrases
    times: list = field(default_factory=list)  # Hit, time phrases
    places: list = field(default_factory=list)  # Place, all of the report's
    counted: Any = lambda word, lang: False  # noqa: E731 - is `word` a counted noun (strikes, explosions)?
    singular: Any = lambda hit: None  # noqa: E731 - the span that makes a weapon word one ("a drone"), or None
    count_grammar: Any = None  # resources.CountGrammar of the report's language


def features(cands: list[Candidate], ctx: Context) -> list[dict[str, float]]:
    """One feature dict per candidate (all of one report, since some features compare them)."""
    index = SpanIndex(ctx.sentences)
    locs = [ctx.locations.get(id(c.place)) for c in cands]
    regions = Counter(loc.admin1_code for loc in locs if loc is not None and loc.admin1_code)
    primary = regions.most_common(1)[0][0] if regions else None
    report = {"report_weapon_words": math.log1p(ctx.weapon_words),
              "report_incident_words": math.log1p(ctx.incident_words)}
    out = []
    for c, loc in zip(cands, locs, strict=True):
        level = LEVELS.get(c.place.level or "", "none")
        f: dict[str, float] = {f"type_{c.type}": 1.0, f"level_{level}": 1.0, f"{c.type}_at_{level}": 1.0,
                               f"cue_{c.place.kind}": 1.0, f"role_{_role(c, ctx)}": 1.0, **report}
        _rule_flags(c, f)
        _figures(c, f)
        _placement(c, ctx, index, cands, f)
        f.update(_geography(c, loc, cands, locs, primary, len(regions)))
        out.append(f)
    return out


def _rule_flags(c: Candidate, f: dict[str, float]) -> None:
    """What the rules made of the candidate (added to `f`)."""
    if not (c.excluded or c.ungated or c.absorbed or c.outcome_elsewhere):
        f["rules_keep"] = 1.0
    if c.weapon == "unknown":
        f["weapon_unknown"] = 1.0
    elif "weapon" in c.ev:
        f["weapon_named"] = 1.0
    if c.excluded:
        f[f"set_aside_{c.excluded}"] = 1.0
    if c.ungated:
        f["ungated"] = 1.0
    if c.place.title:  # named as an official's jurisdiction ("governor of the X region")
        f["jurisdiction"] = 1.0
    if c.place.origin:
        f["launch_area"] = 1.0
    for flag in ("absorbed", "outcome_elsewhere", "soft", "weak"):
        if getattr(c, flag):
            f[flag] = 1.0
    if c.source != "sentence":
        f[f"place_from_{c.source}"] = 1.0


def _figures(c: Candidate, f: dict[str, float]) -> None:
    """How often and among how many places the candidate was named, and its figures (added to `f`)."""
    f["mentions"] = math.log1p(c.mentions - 1)
    f["list_size"] = math.log1p(c.list_size - 1)
    f["sentence_places"] = math.log1p(c.sentence_places)
    for name, present in (("has_count", c.count is not None), ("has_casualties", c.killed or c.injured),
                          ("has_damage", bool(c.damage))):
        if present:
            f[name] = 1.0


def _placement(c: Candidate, ctx: Context, index: SpanIndex, cands: list[Candidate], f: dict[str, float]) -> None:
    """Where the place stands in the text: its sentence, its trigger, quotes (added to `f`)."""
    sent = index.sentence_of(c.place.start)
    if c.sentence == 0:
        f["first_sentence"] = 1.0
    if sent is not None and sent != c.sentence:
        f["place_in_other_sentence"] = 1.0
    type_span = c.ev.get("type")
    if type_span is not None:
        gap = abs(type_span[0] - c.place.start)
        f["trigger_distance"] = math.log1p(gap / 10)
        if c.place.start < type_span[0]:
            f["place_before_trigger"] = 1.0
    if ctx.words is not None and c.place.kind != "descriptor" and _ordinary(c.place.text, ctx):
        f["ordinary_word"] = 1.0
    if _quoted(ctx.text, c.place.start, c.place.end):
        f["in_quotes"] = 1.0  # part of a name: «Суспільне Чернігів», "Kursk" the submarine
    if c.type == "impact" and c.weak and any(
            d.type == "debris_fall" and d.place.normalized.lower() == c.place.normalized.lower() for d in cands):
        f["weak_impact_beside_debris"] = 1.0  # the damage there was the debris' doing


def _role(c: Candidate, ctx: Context) -> str:
    """The word before the place: a locative preposition, a direction ("towards"), an origin, none."""
    before = ctx.text[max(0, c.place.start - 40):c.place.start].split()
    for w in reversed(before[-3:]):
        low = w.lower().strip(",.:;()«»\"")
        if low in ctx.grammar.origin:
            return "origin"
        if low in ctx.grammar.toward:
            return "toward"
        if low in ctx.grammar.prepositions:
            return "at"
    return "none"


QUOTES = {"«": "»", "“": "”", "„": "“", '"': '"'}


def _quoted(text: str, start: int, end: int, reach: int = 60) -> bool:
    """Whether [start, end) stands inside a pair of quotation marks on its line."""
    left = text[max(0, start - reach):start]
    left = left[left.rfind("\n") + 1:]
    for opening, closing in QUOTES.items():
        i = left.rfind(opening)
        closed = left.count(opening) % 2 == 0 if opening == closing else left.rfind(closing) > i
        if i < 0 or closed:
            continue
        right = text[end:end + reach].split("\n", 1)[0]
        if closing in right:
            return True
    return False


def _ordinary(text: str, ctx: Context) -> bool:
    words = [w.strip(".,:;!?()«»\"'") for w in text.split()]
    return bool(words) and all(ctx.words.reading(w, ctx.lang) in ("ordinary", "person") for w in words if w)


def _geography(c: Candidate, loc: Any, cands: list[Candidate], locs: list[Any], primary: str | None,
               n_regions: int) -> dict[str, float]:
    f: dict[str, float] = {"regions_in_report": math.log1p(n_regions)}
    if loc is None or loc.precision is None:
        f["unresolved"] = 1.0
        return f
    f[f"resolved_{loc.precision}"] = 1.0
    if loc.confidence <= 0.3:
        f["abstained"] = 1.0
    if loc.admin1_code and loc.admin1_code == primary:
        f["in_main_region"] = 1.0
    n = _neighbours(c, loc, cands, locs)
    for name, k in n.items():
        f[name] = math.log1p(k)
    if (n["finer_same_type"] or n["finer_other_type"]) and c.count is None and not (c.killed or c.injured):
        f["finer_inside_and_no_figures_of_its_own"] = 1.0  # the "granularity" rule: the finer place carries it
    return f


def _neighbours(c: Candidate, loc: Any, cands: list[Candidate], locs: list[Any]) -> Counter[str]:
    """How many of the report's other candidates in the same region share `c`'s place, lie inside
    it or contain it."""
    rank = PRECISION_RANK.get(loc.precision, 2)
    n: Counter[str] = Counter()
    for d, dl in zip(cands, locs, strict=True):
        if d is c or dl is None or dl.precision is None or dl.admin1_code != loc.admin1_code:
            continue
        d_rank = PRECISION_RANK.get(dl.precision, 2)
        same_place = (dl.lat, dl.lon, dl.name) == (loc.lat, loc.lon, loc.name)
        if same_place and d.type != c.type:
            n["other_type_same_place"] += 1
        elif same_place and d.weapon != c.weapon:
            n["other_weapon_same_place"] += 1
        elif d_rank < rank and _contains(c, loc, d, dl):
            n["finer_same_type" if d.type == c.type else "finer_other_type"] += 1
            if d.sentence == c.sentence:
                n["finer_same_sentence"] += 1
        elif d_rank > rank and _contains(d, dl, c, loc):
            n["coarser_same_type" if d.type == c.type else "coarser_other_type"] += 1
    return n


def _contains(outer: Candidate, outer_loc: Any, inner: Candidate, inner_loc: Any) -> bool:
    """Whether the outer place contains the inner one: same region for a region, the text's own
    parent link, or the district/city names the resolver gave the inner place."""
    if outer_loc.precision == "admin1":
        return True
    if any(a is outer.place for a in ancestors(inner.place)):
        return True
    return outer_loc.name in (inner_loc.admin2, inner_loc.city)


def granularity(kept: list[Candidate], ctx: Context) -> list[Candidate]:
    """The annotation rules' granularity, applied to what the model keeps: an event at a region
    that only restates events of its type at places inside it (for an attack, of any outcome) is
    left out, and the finer places carry the incident. A region keeps its event when it has
    figures of its own (a count, a toll), unless it is named only as an official's jurisdiction
    ("said the governor of the X region")."""
    out = []
    for c in kept:
        loc = ctx.locations.get(id(c.place))
        if loc is not None and loc.precision in COARSER:
            rank = PRECISION_RANK[loc.precision]
            types = OUTCOMES_OF.get(c.type, (c.type,))
            inside = [d for d in kept if d is not c and d.type in types
                      and (dl := ctx.locations.get(id(d.place))) is not None and dl.precision is not None
                      and _rank(d, dl) < rank and dl.admin1_code == loc.admin1_code
                      and _contains(c, loc, d, dl)]
            handover = _restated(c, inside) if inside else None
            if handover is not None:
                _take_over(inside[0], c, handover)
                continue
        out.append(c)
    return out


COARSER = ("admin1", "admin2", "city")  # the levels that contain others
# an attack on a place is told again by what happened inside it (the rules' `outcome_elsewhere`,
# here with the resolved places: "attacked Kharkiv ... hit a warehouse in the Kyivskyi district")
OUTCOMES_OF = {"attack": ("attack", "impact", "debris_fall", "interception")}
LEVEL_RANK = {**RANK, "hromada": 2.5}  # the rules' ranks, with a hromada inside its raion


def _rank(c: Candidate, loc: Any) -> float:
    """How fine a place is: what it resolved to, or what the text calls it when that is finer (a
    street the gazetteer places only at its city is still a street)."""
    return min(PRECISION_RANK.get(loc.precision, 9), LEVEL_RANK.get(c.place.level or "", 9))


def _restated(outer: Candidate, inside: list[Candidate]) -> dict[str, int] | None:
    """Whether an event at a containing place says nothing the events inside it do not, and if so
    the figures the one place inside takes over (else None: the event stays). It restates them
    when it is named only as an official's jurisdiction, or when each of its figures (count,
    killed, injured) is theirs: the sum of theirs (5 over the region are the 3 + 2 named inside),
    or, when only one place inside carries the incident and has no such figure, one it can take
    over (the drone that hit the city, injuring two, is the one that hit the street). Figures the
    places inside cannot account for are the containing place's own, and it keeps its event."""
    if outer.place.title:
        return {}
    handover: dict[str, int] = {}
    for name in FIGURES:
        value = getattr(outer, name)
        if not value:
            continue
        theirs = [v for d in inside if (v := getattr(d, name)) is not None]
        if theirs and sum(theirs) == value:
            continue
        if theirs or len(inside) != 1:
            return None
        handover[name] = value
    return handover


def _take_over(inner: Candidate, outer: Candidate, figures: dict[str, int]) -> None:
    """`inner` takes `outer`'s figures, with their evidence."""
    for name, value in figures.items():
        setattr(inner, name, value)
        if outer.ev.get(name) is not None:
            inner.ev[name] = outer.ev[name]


FIGURES = ("count", "killed", "injured")


def rule_decision(candidates: list[Candidate]) -> list[Candidate]:
    """The hand rules alone: drop what they set aside, fold, or find an outcome for elsewhere."""
    return [c for c in candidates if not (c.excluded or c.ungated or c.absorbed or c.outcome_elsewhere)]


@dataclass(frozen=True)
class Linear:
    """Logistic regression over named features."""

    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, f: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in f.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def as_json(self) -> dict:
        return {"weights": dict(sorted(self.weights.items())), "bias": self.bias, "threshold": self.threshold}


@dataclass(frozen=True)
class DecisionModel:
    """Keep a candidate event when `events` gives it at least its threshold; then give each kept
    event the number `counts` finds likeliest, when that reaches its threshold (else no count)."""

    events: Linear
    counts: Linear | None = None
    meta: dict = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> DecisionModel | None:
        """The shipped model, or None when there is none (the hand rules decide)."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path}: decision model format {data.get('format')} != {MODEL_FORMAT}; rebuild it "
                             "with `make decision-model`")
        counts = Linear(**data["counts"]) if data.get("counts") else None
        return cls(events=Linear(**data["events"]), counts=counts, meta=data.get("meta", {}))

    def decide(self, cands: list[Candidate], ctx: Context) -> list[Candidate]:
        kept = [c for c, f in zip(cands, features(cands, ctx), strict=True)
                if self.events.probability(f) >= self.events.threshold]
        if self.counts is not None:
            for c in kept:
                choose_count(c, ctx, self.counts)
        return granularity(kept, ctx)


def count_options(c: Candidate, ctx: Context) -> list[tuple[Any, dict[str, float]]]:
    """(number, features) for every number that might count `c`'s weapons."""
    from services.extraction.nlp.engine import counting

    spans = [ctx.sentences[i] for i in c.sentences if 0 <= i < len(ctx.sentences)]
    s_places = [q for q in ctx.places if any(s.start <= q.start < s.end for s in spans)]
    options = counting.options(c, ctx)
    first = options[0].start if options else None
    name = c.place.normalized.lower()
    same = [q for q in s_places if q.normalized.lower() == name] or [c.place]
    return [(n, counting.features(c, n, ctx, s_places, first,
                                  place=min(same, key=lambda q: counting.chars_between(n, q)))) for n in options]


def choose_count(c: Candidate, ctx: Context, model: Linear) -> None:
    scored = [(model.probability(f), n) for n, f in count_options(c, ctx)]
    best = max(scored, key=lambda x: (x[0], -x[1].start), default=None)
    if best is not None and best[0] >= model.threshold:
        c.count, c.ev["count"] = best[1].value, (best[1].start, best[1].end)
    else:
        c.count = None
        c.ev.pop("count", None)
