"""Measure extraction + geocoding against the team's labelled corpus (`tests/corpus/{en,ru,uk}.jsonl`).

Runs the same code as the services, in-process: `Extractor.extract` (with the gazetteer as its place
lexicon), `GazetteerGeocoder.resolve`, `build_events`. Resources and the gazetteer load once.
It measures and never gates: `main()` exits 0 whatever the figures are.

    python -m services.extraction.evaluation [--corpus tests/corpus] [--show-errors] [--json out.json]

Matching rules (one report at a time):
- A gold and a predicted event **match** when they have the same `type` and the same place: the same
  ISO 3166-2 `admin1_code` (RU-CR/RU-SEV count as UA-43/UA-40) and, when the gold level is finer than
  admin1 (admin2, city, city_district, street, other), the gold `name` agrees with one of the
  prediction's resolved names (`name`, `admin2`, `city`, `street`). Names agree when their keys (text
  before the first comma, ASCII-folded, generic words such as district/raion/street dropped,
  transliteration variants folded: yo->e, kh->h, g->h, x->ks, iy/yi/y->i, doubled letters) have a
  RapidFuzz ratio >= 85; when both sides are districts the adjectival ending is dropped too ("Bucha
  Raion" = "Buchanskyi Raion"). Sea areas (gold admin1 null) match on the name alone. A gold admin1
  event accepts a prediction of any level inside that admin1 (the fine-place row shows spurious
  precision). Pairs are assigned one-to-one, greedily, preferring the same weapon, then an exact key.
- `event@admin1` is the same with the place reduced to admin1 (what a map at oblast level sees).
- Fields (weapon, count, killed, injured, damage, claimed_by) are scored as slots: gold = gold events
  with a non-null value, predicted = predicted events with a non-null value, correct = matched pairs
  whose values are equal. claimed_by: containment either way, word by word, case-insensitive, with the
  same transliteration folding and a word ratio >= 80 ("Governor Gladkov" = "Governor Vyacheslav
  Gladkov", "Aleksandr" = "Alexander", defence = defense). `acc` is the agreement on matched pairs,
  nulls included (weapon is never null, so its P/R repeat the event row; read its acc).
- `admin1`: the distinct admin1 codes of a report's events, gold vs predicted. `fine place`: the
  distinct places finer than admin1 (gold by level, predicted by resolved precision), matched by name.
- Geocoding by gold level (admin1, admin2, city, city_district, street, other): of the gold events, the
  share paired with a prediction of the same type in the right admin1, and the share whose place also
  matches by the rule above; the same for the report's distinct gold places against its predicted places.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from rapidfuzz import fuzz

from services.extraction.evaluation_report import FIELDS, Tally, brief, format_summary, level_summary

FINE_LEVELS = {"admin2", "city", "city_district", "street", "other"}
COARSE_PRECISION = {None, "country", "admin1"}
A1_EQUIV = {"RU-CR": "UA-43", "RU-SEV": "UA-40"}
GENERIC = {"district", "raion", "rayon", "oblast", "region", "urban", "okrug", "hromada", "street", "avenue",
           "city", "village", "microdistrict", "municipal", "the", "of", "ulitsa", "vulytsia", "prospekt"}
DISTRICTS = {"admin2", "city_district"}
ADJ = re.compile(r"(n?sk(i|a|e|oe|aia)?|n)$")
STOP = {"of", "the", "and", "s"}
DEFAULT_CORPUS = Path("tests/corpus")
Predict = Callable[[dict], list[dict]]


def load_corpus(path: Path) -> list[dict]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    cases = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                cases.append(json.loads(line))
    return cases


class Pipeline:
    """Extraction + geocoding in-process, loaded once. `pipeline(case)` gives public events as dicts."""

    def __init__(self, index_path: Path | None = None, decide=None, decision: bool = True):
        from services.extraction.nlp import Extractor, load_resources
        from shared.config import GazetteerSettings
        from shared.lang import Morph
        from shared.places import Gazetteer, GazetteerGeocoder
        from shared.places.indexfile import ensure_index

        morph = Morph()
        settings = (GazetteerSettings(_env_file=None, gazetteer_index_path=index_path) if index_path
                    else GazetteerSettings(_env_file=None))
        try:  # an index named explicitly is read as it is (never rebuilt from other sources)
            gazetteer = Gazetteer.load(index_path if index_path and index_path.exists() else ensure_index(settings),
                                       morph=morph)
        except ValueError:  # an index of an older format: rebuild it
            gazetteer = Gazetteer.load(ensure_index(settings, rebuild=True), morph=morph)
        self.geocoder = GazetteerGeocoder(gazetteer)
        self.extractor = Extractor(load_resources(morph, decision=decision), places=gazetteer,
                                   resolver=self.geocoder, decide=decide)

    def __call__(self, case: dict) -> list[dict]:
        from shared.places.events import build_events

        published = datetime.fromisoformat(case["published_at"]) if case.get("published_at") else None
        result = self.extractor.extract(article_id=case["id"], text=case["text"], title=case.get("title"),
                                        language=case.get("language"), published_at=published)
        locations = self.geocoder.resolve(list(result.places), language=result.language)
        return [e.model_dump(mode="json") for e in build_events(result, locations)]


# ---------------------------------------------------------------- matching

def _a1(code: str | None) -> str | None:
    return A1_EQUIV.get(code, code) if code else None


def _fold(s: str) -> str:
    """ASCII, lower case, transliteration variants folded (yo->e, kh->h, g->h, x->ks, iy/yi/y->i, doubles)."""
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    for a, b in (("yo", "e"), ("kh", "h"), ("g", "h"), ("x", "ks"), ("iy", "i"), ("yi", "i"), ("y", "i")):
        s = s.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", s)


def name_key(name: str | None) -> str:
    if not name:
        return ""
    s = unicodedata.normalize("NFKD", name.split(",")[0]).encode("ascii", "ignore").decode().lower()
    return _fold("".join(w for w in re.split(r"[^a-z]+", s) if w and w not in GENERIC))


def names_agree(gold_name: str, loc: dict, districts: bool = False) -> bool:
    """Fuzzy agreement of names; for two districts the adjectival ending is dropped too
    ("Bucha Raion" = "Buchanskyi Raion", "Yeysk district" = "Yeysky District")."""
    g = name_key(gold_name)
    cands = {name_key(loc.get(k)) for k in ("name", "admin2", "city", "street")} - {""}
    if districts:
        g, cands = ADJ.sub("", g), {ADJ.sub("", c) for c in cands}
    return bool(g) and any(fuzz.ratio(g, c) >= 85 for c in cands)


def place_matches(gold_loc: dict, pred_loc: dict, *, admin1_only: bool = False) -> bool:
    if not gold_loc.get("admin1_code"):  # sea areas
        return names_agree(gold_loc["name"], pred_loc)
    if _a1(gold_loc["admin1_code"]) != _a1(pred_loc.get("admin1_code")):
        return False
    if admin1_only or gold_loc["level"] not in FINE_LEVELS:
        return True
    districts = gold_loc["level"] in DISTRICTS and pred_loc.get("precision") in DISTRICTS
    return names_agree(gold_loc["name"], pred_loc, districts)


def assign(gold: list[dict], pred: list[dict], *, by_type: bool = True, admin1_only: bool = False) -> list[tuple]:
    """Greedy one-to-one (gold index, pred index) pairs."""
    scored = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if by_type and g["type"] != p["type"]:
                continue
            if place_matches(g["location"], p["location"], admin1_only=admin1_only):
                exact = name_key(g["location"]["name"]) == name_key(p["location"].get("name"))
                scored.append((-(2 * (g["weapon"] == p["weapon"]) + exact), gi, pi))
    pairs, used_g, used_p = [], set(), set()
    for _, gi, pi in sorted(scored):
        if gi not in used_g and pi not in used_p:
            pairs.append((gi, pi))
            used_g.add(gi)
            used_p.add(pi)
    return pairs


def _claim_tokens(s: str) -> list[str]:
    return [_fold(w) for w in re.split(r"[^\w]+", s.lower().replace("defence", "defense")) if w and w not in STOP]


def claims_agree(gold: str, pred: str) -> bool:
    """Containment either way, word by word with transliteration tolerance: "Governor Gladkov" is in
    "Governor Vyacheslav Gladkov", "Aleksandr" = "Alexander", "Igor" = "Ihor"."""
    g, p = _claim_tokens(gold), _claim_tokens(pred)
    short, long_ = (g, p) if len(g) <= len(p) else (p, g)
    return bool(short) and all(any(fuzz.ratio(a, b) >= 80 for b in long_) for a in short)


def field_equal(name: str, gold, pred) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    if name == "claimed_by":
        return claims_agree(gold, pred)
    return gold == pred


# ---------------------------------------------------------------- scoring

def _fine_places(events: list[dict], gold: bool) -> list[dict]:
    seen, out = set(), []
    for e in events:
        loc = e["location"]
        fine = loc.get("level") in FINE_LEVELS if gold else loc.get("precision") not in COARSE_PRECISION
        key = (_a1(loc.get("admin1_code")), name_key(loc.get("name")))
        if fine and key not in seen:
            seen.add(key)
            out.append(loc)
    return out


def score_levels(gold: list[dict], pred: list[dict], levels: dict[str, Counter]) -> None:
    """Geocoding per gold level. Events: gold events paired with a prediction of the same type in the
    same admin1 (`a1`), and of those the ones whose fine place matches too (`fine`). Places: the
    report's distinct gold places against its distinct predicted places, at admin1 and fine."""
    a1_pairs = assign(gold, pred, admin1_only=True)
    for gi, pi in a1_pairs:
        c = levels[gold[gi]["location"].get("level") or "admin1"]
        c["ev_a1"] += 1
        c["ev_fine"] += place_matches(gold[gi]["location"], pred[pi]["location"])
    for g in gold:
        levels[g["location"].get("level") or "admin1"]["ev"] += 1
    gp = {(_a1(g["location"].get("admin1_code")), name_key(g["location"]["name"])): g for g in gold}
    gplaces = [{"type": "", "weapon": "", "location": g["location"]} for g in gp.values()]
    pplaces = [{"type": "", "weapon": "", "location": p["location"]} for p in pred]
    hit_a1 = {gi for gi, _ in assign(gplaces, pplaces, admin1_only=True)}
    hit_fine = {gi for gi, _ in assign(gplaces, pplaces)}
    for gi, g in enumerate(gplaces):
        c = levels[g["location"].get("level") or "admin1"]
        c["pl"] += 1
        c["pl_a1"] += gi in hit_a1
        c["pl_fine"] += gi in hit_fine


def score_case(case: dict, pred: list[dict], tally: Tally, confusion: Counter, errors: list,
               levels: dict[str, Counter] | None = None) -> None:
    gold = case["events"]
    if levels is not None:
        score_levels(gold, pred, levels)
    pairs = assign(gold, pred)
    tally.add("event", len(pairs), len(pred), len(gold))
    tally.add("event@admin1", len(assign(gold, pred, admin1_only=True)), len(pred), len(gold))
    for f in FIELDS:
        tp = sum(1 for gi, pi in pairs if gold[gi][f] is not None and field_equal(f, gold[gi][f], pred[pi].get(f)))
        agree = sum(1 for gi, pi in pairs if field_equal(f, gold[gi][f], pred[pi].get(f)))
        n_pred, n_gold = sum(p.get(f) is not None for p in pred), sum(g[f] is not None for g in gold)
        tally.add(f, tp, n_pred, n_gold, agree, len(pairs))
    g1 = {_a1(g["location"]["admin1_code"]) for g in gold} - {None}
    p1 = {_a1(p["location"].get("admin1_code")) for p in pred} - {None}
    tally.add("admin1", len(g1 & p1), len(p1), len(g1))
    gf, pf = _fine_places(gold, True), _fine_places(pred, False)
    hits = len(assign([{"type": "", "weapon": "", "location": g} for g in gf],
                      [{"type": "", "weapon": "", "location": p} for p in pf]))
    tally.add("fine place", hits, len(pf), len(gf))
    # type confusion: pair on place alone
    loose = assign(gold, pred, by_type=False)
    for gi, pi in loose:
        confusion[(gold[gi]["type"], pred[pi]["type"])] += 1
    matched_g, matched_p = {gi for gi, _ in loose}, {pi for _, pi in loose}
    confusion.update((g["type"], "(missed)") for i, g in enumerate(gold) if i not in matched_g)
    confusion.update(("(spurious)", p["type"]) for i, p in enumerate(pred) if i not in matched_p)
    # errors
    strict_g, strict_p = {gi for gi, _ in pairs}, {pi for _, pi in pairs}
    errs = [f"missed   {brief(g)}" for i, g in enumerate(gold) if i not in strict_g]
    errs += [f"spurious {brief(p)}" for i, p in enumerate(pred) if i not in strict_p]
    for gi, pi in pairs:
        bad = [f"{f}: gold={gold[gi][f]!r} pred={pred[pi].get(f)!r}" for f in FIELDS
               if not field_equal(f, gold[gi][f], pred[pi].get(f))]
        if bad:
            errs.append(f"field    {gold[gi]['type']} @ {gold[gi]['location']['mention']!r}: " + "; ".join(bad))
    if errs:
        errors.append({"id": case["id"], "language": case["language"], "errors": errs})


def evaluate(cases: Iterable[dict], predict: Predict) -> dict:
    tallies: dict[str, Tally] = defaultdict(Tally)
    confusion: Counter = Counter()
    levels: dict[str, Counter] = defaultdict(Counter)
    errors: list[dict] = []
    n: Counter[str] = Counter()
    for case in cases:
        pred = predict(case)
        for key in (case["language"], "all"):
            n[key] += 1
        tmp = Tally()
        score_case(case, pred, tmp, confusion, errors, levels)
        for key in (case["language"], "all"):
            for metric, c in tmp.c.items():
                tallies[key].c[metric].update(c)
    languages = sorted(k for k in tallies if k != "all") + ["all"]
    return {"cases": dict(n), "metrics": {k: tallies[k].summary() for k in languages if k in tallies},
            "confusion": [{"gold": g, "pred": p, "n": c} for (g, p), c in sorted(confusion.items())],
            "geocoding_by_level": level_summary(levels), "errors": errors}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m services.extraction.evaluation", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of *.jsonl (or one file)")
    ap.add_argument("--show-errors", action="store_true", help="list missed/spurious events and wrong fields")
    ap.add_argument("--json", type=Path, help="also write the summary (with errors) as JSON here")
    ap.add_argument("--index", type=Path,
                    help="gazetteer index file, read as it is if it exists (default: built from GAZETTEER_*)")
    args = ap.parse_args(argv)
    cases = load_corpus(args.corpus)
    summary = evaluate(cases, Pipeline(args.index))
    print(format_summary(summary, args.show_errors))
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
