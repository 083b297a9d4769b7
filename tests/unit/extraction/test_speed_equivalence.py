"""The speed machinery must not change results: the pre-filtered scans (`prefilter.py`) find exactly
what the plain patterns find, and `text.sentenize` splits exactly like `razdel.sentenize`."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import razdel

from services.extraction.nlp import signals
from services.extraction.nlp.prefilter import Starts, TextView, prefiltered
from services.extraction.nlp.text import mask, sentenize, tokenize

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _texts() -> list[tuple[str, str]]:
    out = []
    for f in sorted(CORPUS.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                out.append((case["language"], case["text"]))
    by_lang: dict[str, list[str]] = {}
    for lang, text in out:
        by_lang.setdefault(lang, []).append(text)
    # long mixed reports too, as in the benchmark, and an upper-cased copy (case folding)
    out += [(lang, " ".join(ts[i:i + 8])) for lang, ts in by_lang.items() for i in range(0, len(ts), 8)]
    out += [(lang, text.upper()) for lang, text in out[:40]]
    return out


def _spans(matches) -> list[tuple]:
    return [(m.span(), m.lastgroup, m.groups()) for m in matches]


def _word_starts(pattern, text: str, starts: list[int]) -> list:
    out, last = [], -1
    for a in starts:
        if a >= last:
            m = pattern.match(text, a)
            if m is not None and m.end() > a:
                out.append(m)
                last = m.end()
    return out


def _patterns(res, lang: str) -> list:
    g = res.claims[lang]
    pats = [p for p, _ in g.title_names + g.bodies + g.bare] + [signals.HEAD_OF, signals.EN_NAME_TITLE]
    t = res.time[lang]
    return pats + t["window_re"] + t["night_of_re"] + ([t["night_re"]] if t["night_re"] is not None else [])


def test_finditer_is_unchanged(resources):
    for lang, text in _texts():
        view = TextView(text)
        for p in _patterns(resources, lang):
            assert _spans(view.finditer(p)) == _spans(p.finditer(text)), (p.pattern, text[:60])


def test_word_start_scans_are_unchanged(resources):
    for lang, text in _texts():
        offsets = [t.start for t in tokenize(text) if t.text[0].isalnum()]
        starts = Starts(text, offsets)
        pats = [resources.triggers[lang], resources.aux_triggers[lang], resources.weapons[lang]]
        pats += [p for p in resources.casualties[lang].values() if p is not None]
        for p in pats:
            assert _spans(prefiltered(p).at(starts)) == _spans(_word_starts(p, text, offsets)), p.pattern[:60]


def test_remasked_starts_equal_fresh_ones(resources):
    for lang, text in _texts()[:120]:
        tokens = tokenize(text)
        offsets = [t.start for t in tokens if t.text[0].isalnum()]
        spans = [(n.start, n.end) for n in resources.numbers.find(tokens, lang) if n.value is not None]
        masked = mask(text, spans)
        again = Starts(text, offsets).remasked(masked, spans)
        fresh = Starts(masked, offsets)
        assert {k: sorted(v) for k, v in again._buckets.items()} == {k: sorted(v) for k, v in fresh._buckets.items()}


@pytest.mark.parametrize("seed", [1, 2])
def test_sentenize_is_razdel(seed):
    lines = [line for _, text in _texts() for line in text.split("\n")]
    rnd = random.Random(seed)
    pieces = ["Word", "word", "Он", "т", "г", "ул", "Mr", "U", "т.е", "A", "XX", "12", ". ", "? ", "! ", "… ",
              ".", " ", "  ", "\xa0", ", ", "\"", "«", "»", ") ", "(", "- ", "— ", ":)", "см", "Dr", "1)", "a)", "'"]
    lines += ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30))) for _ in range(5000)]
    for line in lines:
        expected = [(s.start, s.stop) for s in razdel.sentenize(line) if s.text.strip()]
        assert sentenize(line) == expected, line
