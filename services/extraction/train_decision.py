"""Train the decision stage (`nlp/engine/decision.py`) and say how well it generalises.

    python -m services.extraction.train_decision [--devset DIR] [--corpus tests/corpus] [--out FILE]
                                                 [--folds 5] [--repeats 5] [--no-write] [--show-errors]

1. Every report of the development set and of our corpus is extracted with the decision stage
   replaced by a recorder: each candidate event, its features, and its provisional location.
2. A candidate is labelled correct when a gold event of its report has its type and its place
   (the scorers' own place matching: `evaluate.py`'s for the devset, `evaluation.place_matches`
   for the corpus).
3. Logistic regression (scikit-learn) over the features. The keep-threshold is chosen on the
   training reports by inner cross-validation *through the whole decision* (the model, the count
   choice and the granularity rule after it, which drops coarse events the model keeps): each
   inner fold's reports are extracted with a model trained on the other inner folds at every
   threshold of a grid, and the threshold with the best event F1 over them wins.
4. **Cross-validated by article**: 5 folds, the reports of one incident (`eval/devset-incidents.yaml`)
   in one fold; each fold's reports are extracted again with the model trained on the other
   folds and scored with the scorers. These, and only these, are the figures to quote; the
   shipped model is then trained on everything, and its figures on the same reports say nothing.
   The cross-validation is repeated (`--repeats`, 5) with the folds dealt anew each time, and the
   figures are the mean: one dealing of 116 reports into 5 folds moves event F1 by about 0.01.
5. The model, its feature weights and the cross-validated figures go to `nlp/models/decision.json`.

scikit-learn is needed only here (a development dependency); the services read the JSON file.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

from services.extraction import devset as devset_eval
from services.extraction.evaluation import DEFAULT_CORPUS, load_corpus, place_matches
from services.extraction.nlp.engine.decision import (
    MODEL_FILE,
    MODEL_FORMAT,
    DecisionModel,
    Linear,
    count_options,
    features,
    rule_decision,
)

INCIDENT_GOLD = Path(__file__).resolve().parents[2] / "eval" / "devset-incidents.yaml"
SEED = 20261207
REGULARISATION = 0.5  # scikit-learn C: smaller is simpler


class Recorder:
    """A stand-in decision stage that keeps what the current decider keeps and records every
    candidate with its features and provisional location."""

    def __init__(self) -> None:
        self.decider: DecisionModel | None = None  # a DecisionModel, or None: the hand rules
        self.rows: list[tuple[dict, object, object, list]] = []  # (features, candidate, location, count options)

    def __call__(self, cands, ctx):
        for c, f in zip(cands, features(cands, ctx), strict=True):
            options = [(n.value, nf) for n, nf in count_options(c, ctx)]
            self.rows.append((f, c, ctx.locations.get(id(c.place)), options))
        return self.decider.decide(cands, ctx) if self.decider is not None else rule_decision(cands)


def _gold_match(c, loc, gold: list[dict], kind: str, scorer) -> dict | None:
    """The gold event with `c`'s type and place, if any."""
    if loc is None or loc.precision is None:
        return None
    pred = loc.model_dump(mode="json")
    for g in gold:
        if g["type"] != c.type:
            continue
        if kind == "devset" and scorer.location_matches(g.get("location") or {}, pred):
            return g
        if kind == "corpus" and place_matches(g["location"], pred):
            return g
    return None


def load_reports(devset: Path | None, corpus: Path) -> list[dict]:
    """All reports as cases: {"case", "gold", "kind", "group", "report"}."""
    out = []
    if devset is not None and devset.is_dir():
        groups = _incident_groups()
        for r in devset_eval.load_reports(devset):
            out.append({"case": devset_eval.as_case(r), "gold": r.get("events") or [], "kind": "devset",
                        "group": groups.get(r["id"], r["id"]), "report": r})
    for case in load_corpus(corpus):
        out.append({"case": case, "gold": case.get("events") or [], "kind": "corpus", "group": case["id"],
                    "report": case})
    return out


def _incident_groups() -> dict[str, str]:
    """Report id -> a group id shared by reports of one incident (from the incident gold file): the
    reports of each group and of each `related` entry, joined transitively."""
    if not INCIDENT_GOLD.exists():
        return {}
    import yaml

    data = yaml.safe_load(INCIDENT_GOLD.read_text(encoding="utf-8")) or {}
    parent: dict[str, str] = {}

    def root(r: str) -> str:
        while parent.setdefault(r, r) != r:
            r = parent[r]
        return r

    linked = [[e.split("#")[0] for e in g.get("events", [])] for g in data.get("groups") or []]
    linked += [list(rel.get("reports", [])) for rel in data.get("related") or []]
    for reports in linked:
        for rid in reports[1:]:
            a, b = sorted((root(reports[0]), root(rid)))
            parent[b] = a
    return {rid: root(rid) for rid in parent}


class Rows:
    """What the recorder saw over some reports, labelled: one row per candidate event (features,
    label, report index) and, per candidate that is a gold event, its count options (features,
    whether the number is the gold count) and the gold count."""

    def __init__(self) -> None:
        self.x: list[dict] = []
        self.y: list[int] = []
        self.owner: list[int] = []
        self.counts: list[tuple[int, list[tuple[dict, int]], int | None]] = []  # (owner, options, gold count)

    def subset(self, keep) -> Rows:
        out = Rows()
        for f, y, o in zip(self.x, self.y, self.owner, strict=True):
            if keep(o):
                out.x.append(f)
                out.y.append(y)
                out.owner.append(o)
        out.counts = [c for c in self.counts if keep(c[0])]
        return out


GOLD_LEVEL: dict[str, set[str | None]] = {
    "admin1": {"oblast"}, "admin2": {"district", "raion", "hromada"}, "city": {"city", "village"},
    "city_district": {"city_district"}, "street": {"street"}, "other": {"hromada", "sea", None}}
PRECISION_ORDER = {"street": 0, "city_district": 1, "city": 2, "admin2": 3, "admin1": 4, "country": 5, "sea": 5}


def assign_gold(found: list[tuple], gold: list[dict], kind: str, scorer) -> list[dict | None]:
    """The gold event each recorded candidate stands for, one-to-one, like the scorers pair events:
    of the candidates that match a gold event (its type and place), the one at the gold's own level
    wins, then the one the rules keep, then the finest. The rest are wrong, even when they match
    too: a district and its city both "match" a street whose coordinates the gold lacks."""
    out: list[dict | None] = [None] * len(found)
    for g in gold:
        options = [i for i, (_f, c, loc, _o) in enumerate(found) if out[i] is None
                   and _gold_match(c, loc, [g], kind, scorer) is not None]
        if not options:
            continue
        level = (g.get("location") or {}).get("level")

        def rank(i: int, level=level) -> tuple:
            f, c, loc, _o = found[i]
            return (c.place.level in GOLD_LEVEL.get(level, set()), "rules_keep" in f,
                    -PRECISION_ORDER.get(loc.precision, 9), -i)
        out[max(options, key=rank)] = g
    return out


def record(pipeline, recorder: Recorder, reports: list[dict], scorer) -> Rows:
    """Labelled rows over `reports`, with the current decider."""
    rows = Rows()
    for i, rep in enumerate(reports):
        recorder.rows = []
        pipeline(rep["case"])
        for (f, _c, _loc, options), g in zip(recorder.rows, assign_gold(recorder.rows, rep["gold"], rep["kind"],
                                                                         scorer), strict=True):
            rows.x.append(f)
            rows.y.append(int(g is not None))
            rows.owner.append(i)
            if g is not None:
                gold = g.get("count")
                rows.counts.append((i, [(nf, int(value == gold)) for value, nf in options], gold))
    return rows


def fit(rows: Rows, seed: int = SEED) -> DecisionModel:
    """Both models: logistic regression, thresholds chosen by 4-fold cross-validation on these rows."""
    events, proba = _logistic(rows.x, rows.y, seed)
    events = Linear(events.weights, events.bias, _best_threshold(proba, rows.y))
    flat = [(f, y, k) for k, (_o, options, _g) in enumerate(rows.counts) for f, y in options]
    if not any(y for _, y, _ in flat):
        return DecisionModel(events=events)
    counts, cproba = _logistic([f for f, _, _ in flat], [y for _, y, _ in flat], seed)
    by_event: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for (_f, y, k), p in zip(flat, cproba, strict=True):
        by_event[k].append((p, y))
    threshold = _best_count_threshold(by_event, [g for _o, _opts, g in rows.counts])
    return DecisionModel(events=events, counts=Linear(counts.weights, counts.bias, threshold))


def _logistic(xs: list[dict], ys: list[int], seed: int) -> tuple[Linear, list[float]]:
    """The fitted model and its out-of-fold probabilities (for choosing a threshold)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    vec = DictVectorizer(sparse=False)
    x = vec.fit_transform(xs)
    lr = LogisticRegression(C=REGULARISATION, max_iter=2000)
    proba = cross_val_predict(lr, x, ys, cv=StratifiedKFold(4, shuffle=True, random_state=seed),
                              method="predict_proba")[:, 1]
    lr.fit(x, ys)
    weights = {name: round(float(w), 4) for name, w in zip(vec.get_feature_names_out(), lr.coef_[0], strict=True)
               if abs(w) >= 1e-4}
    return Linear(weights, round(float(lr.intercept_[0]), 4), 0.5), list(proba)


def _best_count_threshold(by_event: dict[int, list[tuple[float, int]]], golds: list[int | None]) -> float:
    """The threshold that gives the most events their gold count (no count when the gold has none)."""
    best, best_right = 0.5, -1
    for t in [i / 100 for i in range(10, 81, 2)]:
        right = 0
        for k, gold in enumerate(golds):
            options = by_event.get(k, [])
            p, y = max(options, default=(0.0, 0))
            right += (y == 1) if p >= t else (gold is None)
        if right > best_right:
            best, best_right = t, right
    return best


def _best_threshold(proba: list[float], ys: list[int]) -> float:
    """The keep-threshold with the best F1 over these out-of-fold probabilities."""
    best, best_f = 0.5, -1.0
    positives = sum(ys)
    for t in [i / 100 for i in range(20, 81, 2)]:
        kept = [y for p, y in zip(proba, ys, strict=True) if p >= t]
        tp = sum(kept)
        p, r = tp / max(1, len(kept)), tp / max(1, positives)
        f = 2 * p * r / (p + r) if p + r else 0.0
        if f > best_f:
            best, best_f = t, f
    return best


def folds(reports: list[dict], k: int, seed: int = SEED) -> list[int]:
    """A fold per report; the reports of one group share a fold; groups are dealt at random."""
    groups = sorted({r["group"] for r in reports})
    random.Random(seed).shuffle(groups)
    fold_of = {g: i % k for i, g in enumerate(groups)}
    return [fold_of[r["group"]] for r in reports]


THRESHOLDS = [round(0.20 + 0.04 * i, 2) for i in range(11)]  # 0.20 .. 0.60


def tuned(pipeline, recorder: Recorder, reports: list[dict], rows: Rows, train: list[int], scorer,
          seed: int = SEED, inner: int = 4) -> DecisionModel:
    """The model of these training reports (indices into `reports`), its keep-threshold chosen by
    inner cross-validation through the pipeline (see step 3 of the module's description)."""
    inner_fold = dict(zip(train, folds([reports[i] for i in train], inner, seed=seed), strict=True))
    hits = {t: [0, 0, 0] for t in THRESHOLDS}  # true positives, predicted, gold
    for j in range(inner):
        model = fit(rows.subset(lambda o, j=j: o in inner_fold and inner_fold[o] != j), seed)
        held = [i for i in train if inner_fold[i] == j]
        for t in THRESHOLDS:
            recorder.decider = DecisionModel(events=Linear(model.events.weights, model.events.bias, t),
                                             counts=model.counts)
            for i in held:
                rep = reports[i]
                tp, n_pred, n_gold = _matched(rep, pipeline(rep["case"]), scorer)
                hits[t][0] += tp
                hits[t][1] += n_pred
                hits[t][2] += n_gold
    recorder.decider = None
    best = max(THRESHOLDS, key=lambda t: (_f1(*hits[t]), -abs(t - 0.4)))
    model = fit(rows.subset(lambda o: o in inner_fold), seed)
    return DecisionModel(events=Linear(model.events.weights, model.events.bias, best), counts=model.counts)


def _matched(rep: dict, pred: list[dict], scorer) -> tuple[int, int, int]:
    from services.extraction.evaluation import assign

    gold = rep["gold"]
    tp = len(scorer.match_events(gold, pred, use_type=True)) if rep["kind"] == "devset" else len(assign(gold, pred))
    return tp, len(pred), len(gold)


def _f1(tp: int, n_pred: int, n_gold: int) -> float:
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0


def predict(pipeline, reports: list[dict]) -> dict[str, list[dict]]:
    return {rep["case"]["id"]: pipeline(rep["case"]) for rep in reports}


def corpus_event_f1(reports: list[dict], predictions: dict[str, list[dict]]) -> dict:
    tp = n_pred = n_gold = 0
    for rep in reports:
        hit, pred, gold = _matched(rep, predictions[rep["case"]["id"]], None)
        tp, n_pred, n_gold = tp + hit, n_pred + pred, n_gold + gold
    p, r = tp / max(1, n_pred), tp / max(1, n_gold)
    return {"event_precision": round(p, 3), "event_recall": round(r, 3),
            "event_f1": round(2 * p * r / (p + r), 3) if p + r else 0.0}


def evaluate(pipeline, recorder: Recorder, reports: list[dict], scorer, devset: Path | None,
             deciders: list[DecisionModel | None], fold_of: list[int]) -> dict:
    """Extract every report with the decider of its fold; score devset subsets and the corpus."""
    predictions = {}
    for rep, fold in zip(reports, fold_of, strict=True):
        recorder.decider = deciders[fold]
        predictions[rep["case"]["id"]] = pipeline(rep["case"])
    recorder.decider = None
    out = {"predictions": predictions}
    if devset is not None and any(r["kind"] == "devset" for r in reports):
        out["devset"] = devset_eval.report(devset, predictions, scorer)
    out["corpus"] = corpus_event_f1([r for r in reports if r["kind"] == "corpus"], predictions)
    return out


def average(runs: list[dict]) -> dict:
    """The mean of each figure over repeated cross-validation runs; the predictions (for the error
    listing) are the first run's."""
    out = {"predictions": runs[0]["predictions"], "repeats": len(runs)}
    if "devset" in runs[0]:
        out["devset"] = {name: {k: _mean([r["devset"][name].get(k) for r in runs]) for k in figures}
                         for name, figures in runs[0]["devset"].items()}
    out["corpus"] = {k: _mean([r["corpus"][k] for r in runs]) for k in runs[0]["corpus"]}
    return out


def _mean(values: list) -> object:
    if any(v is None for v in values) or not values:
        return values[0] if values else None
    if all(isinstance(v, int) for v in values):
        return round(sum(values) / len(values)) if len(set(values)) > 1 else values[0]
    return round(sum(values) / len(values), 3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, default=devset_eval.DEFAULT_DEVSET)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5,
                    help="repeat the cross-validation with the folds dealt anew, and report the mean")
    ap.add_argument("--no-write", action="store_true", help="report the cross-validated figures only")
    ap.add_argument("--show-errors", action="store_true", help="list the cross-validated misses on the devset")
    args = ap.parse_args(argv)
    from services.extraction.evaluation import Pipeline

    devset = args.devset if args.devset.is_dir() else None
    scorer = devset_eval.load_scorer(devset) if devset else None
    recorder = Recorder()
    pipeline = Pipeline(decide=recorder, decision=False)
    reports = load_reports(devset, args.corpus)
    print(f"reports: {sum(r['kind'] == 'devset' for r in reports)} devset, "
          f"{sum(r['kind'] == 'corpus' for r in reports)} corpus", flush=True)
    rows = record(pipeline, recorder, reports, scorer)
    print(f"candidates: {len(rows.x)}, correct: {sum(rows.y)}; count options of correct ones: "
          f"{sum(len(o) for _, o, _ in rows.counts)}", flush=True)
    runs = []
    for rep in range(args.repeats):  # repeated cross-validation: each repeat deals the folds anew
        fold_of = folds(reports, args.folds, seed=SEED + rep)
        deciders: list[DecisionModel | None] = []
        for k in range(args.folds):
            train = [i for i, f in enumerate(fold_of) if f != k]
            deciders.append(tuned(pipeline, recorder, reports, rows, train, scorer, seed=SEED + rep))
        print(f"repeat {rep + 1}/{args.repeats}: {args.folds} folds trained", flush=True)
        runs.append(evaluate(pipeline, recorder, reports, scorer, devset, deciders, fold_of))
    rules = evaluate(pipeline, recorder, reports, scorer, devset, [None] * args.folds, [0] * len(reports))
    cv = average(runs)
    _print("hand rules alone", rules)
    _print(f"learned decision, cross-validated ({args.folds} folds by article, mean of {args.repeats} repeats)", cv)
    if args.show_errors and devset is not None and scorer is not None:
        devset_eval.score(scorer, [r["report"] for r in reports if r["kind"] == "devset"], cv["predictions"],
                          show_errors=True)
    if args.no_write:
        return 0
    model = tuned(pipeline, recorder, reports, rows, list(range(len(reports))), scorer)
    meta = {"trained": date.today().isoformat(), "candidates": len(rows.x), "correct": sum(rows.y),
            "reports": {"devset": sum(r["kind"] == "devset" for r in reports),
                        "corpus": sum(r["kind"] == "corpus" for r in reports)},
            "cross_validated": _summary(cv), "hand_rules": _summary(rules),
            "command": "make decision-model"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": MODEL_FORMAT, "events": model.events.as_json(),
           "counts": model.counts.as_json() if model.counts else None, "meta": meta}
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"model written to {args.out}")
    return 0


def _summary(result: dict) -> dict:
    out = {"corpus": result["corpus"]}
    for name, figures in result.get("devset", {}).items():
        out[name] = {k: figures[k] for k in ("event_f1", "count_accuracy", "casualty_accuracy", "admin1_f1")}
    return out


def _print(title: str, result: dict) -> None:
    print(f"\n== {title}")
    if "devset" in result:
        print(devset_eval.format_table(result["devset"]))
        split = [n for n in result["devset"] if " " in n]
        print("by language within each list:\n" + devset_eval.format_table(result["devset"], split))
    print("corpus:", result["corpus"])


if __name__ == "__main__":
    sys.exit(main())
