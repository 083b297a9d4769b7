"""Measure the figures the quality gate holds (`tests/quality/test_quality_gate.py`), and rewrite
`baseline.json` from them: `python -m tests.quality.baseline`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

BASELINE = Path(__file__).with_name("baseline.json")
TOLERANCE = 0.02
DEVSET_GROUPS = ("all", "later-61", "added-uk-22")
KEYS = ("event_f1", "count_accuracy", "casualty_accuracy")


def measure(pipeline=None) -> dict[str, dict[str, float]]:
    from services.extraction import devset
    from services.extraction.evaluation import DEFAULT_CORPUS, Pipeline, evaluate, load_corpus

    root = Path(__file__).resolve().parents[2]
    pipeline = pipeline or Pipeline()
    corpus = evaluate(load_corpus(root / DEFAULT_CORPUS), pipeline)["metrics"]["all"]
    out = {"corpus": {"event_f1": corpus["event"]["f1"], "count_accuracy": corpus["count"].get("acc", 0.0),
                      "casualty_accuracy": round((corpus["killed"].get("acc", 0.0) + corpus["injured"].get("acc", 0.0))
                                                 / 2, 3)}}
    folder = devset.DEFAULT_DEVSET
    if folder.is_dir():
        scorer = devset.load_scorer(folder)
        reports = devset.load_reports(folder)
        results = devset.report(folder, devset.predict_all(reports, pipeline), scorer)
        for group in DEVSET_GROUPS:
            out[f"devset {group}"] = {k: results[group][k] for k in KEYS if results[group].get(k) is not None}
    return out


def main() -> int:
    figures = measure()
    if not any(k.startswith("devset") for k in figures):
        print("the development set is not beside the checkout: not rewriting the baseline", file=sys.stderr)
        return 2
    BASELINE.write_text(json.dumps({"tolerance": TOLERANCE, "figures": figures}, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=1))
    from dronewatch import docs  # the README's table of these figures

    return docs.main([])


if __name__ == "__main__":
    sys.exit(main())
