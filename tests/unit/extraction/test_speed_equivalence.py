"""The speed machinery must not change results: the keyword prefilter (`prefilter.py`) finds exactly
what the plain patterns find, on the corpus, on the devset when it is there (read from
`../shared/data/devset` at test time) and on case-folding traps; and `text.sentenize` splits exactly
like `razdel.sentenize`."""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
import razdel

from services.extraction.devset import DEFAULT_DEVSET
from services.extraction.nlp.engine.pattern_facts import PhraseFacts, phrase_facts
from services.extraction.nlp.engine.prefilter import Fold, build_scanners
from services.extraction.nlp.engine.resources import NUM_MASK
from services.extraction.nlp.engine.text import mask, sentenize, tokenize

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
# characters that `re` matches case-insensitively to a keyword letter while `str.lower` does not
# ("ſ" ~ s, "ı" ~ i, "ᲀ" ~ в, "ᲃ" ~ с), or whose lower case is two characters ("İ")
TRAPS = {"en": ("ſ", "ı", "İ", "K"), "ru": ("ᲀ", "ᲃ", "ᲂ"), "uk": ("ᲀ", "ᲄ", "İ")}


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    out = []
    for f in sorted(CORPUS.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                out.append((case["language"], case["text"]))
    for f in sorted(DEFAULT_DEVSET.glob("*.json")) if DEFAULT_DEVSET.is_dir() else []:
        report = json.loads(f.read_text(encoding="utf-8"))
        out.append((report["language"], report["text"]))
    by_lang: dict[str, list[str]] = {}
    for lang, text in out:
        by_lang.setdefault(lang, []).append(text)
    # long mixed reports too, as in the benchmark, an upper-cased copy, and copies with folding traps
    out += [(lang, " ".join(ts[i:i + 8])) for lang, ts in by_lang.items() for i in range(0, len(ts), 8)]
    out += [(lang, text.upper()) for lang, text in out[:40]]
    rnd = random.Random(7)
    for lang, text in out[:60]:
        chars = [rnd.choice(TRAPS[lang]) if c.lower() in "sivтсо" and rnd.random() < 0.05 else c for c in text]
        out.append((lang, "".join(chars)))
    return out


def _spans(matches) -> list[tuple]:
    return [(m.span(), m.lastgroup, m.groups()) for m in matches]


def _word_starts(pattern, text: str, starts: list[int]) -> list:
    """The reference for `TextHits.at`: the pattern tried at every word start, left to right."""
    out, last = [], -1
    for a in starts:
        if a >= last:
            m = pattern.match(text, a)
            if m is not None and m.end() > a:
                out.append(m)
                last = m.end()
    return out


def _patterns(res, lang: str) -> list:
    return res.scanners[lang].patterns  # the claims' case-sensitive name patterns are noted there too


def test_every_scanned_pattern_has_keywords(resources):
    for lang, scanner in resources.scanners.items():
        assert len(scanner.patterns) >= 20, lang
        assert resources.triggers[lang] in scanner.patterns and resources.weapons[lang] in scanner.patterns


def test_finditer_is_unchanged(resources, texts):
    for lang, text in texts:
        hits = resources.scanners[lang].hits(text)
        for p in _patterns(resources, lang):
            assert _spans(hits.finditer(p)) == _spans(p.finditer(text)), (p.pattern[:80], text[:60])


def test_word_start_scans_are_unchanged(resources, texts):
    for lang, text in texts:
        tokens = tokenize(text)
        offsets = [t.start for t in tokens if t.text[0].isalnum()]
        hits = resources.scanners[lang].hits(text, offsets)
        for p in resources.scanners[lang].patterns:
            assert _spans(hits.at(p)) == _spans(_word_starts(p, text, offsets)), (p.pattern[:80], text[:60])
        # the casualty patterns also run over the text with its numbers masked
        spans = [(n.start, n.end) for n in resources.numbers.find(tokens, lang) if n.value is not None]
        masked = mask(text, spans)
        masked_hits = resources.scanners[lang].hits(masked, offsets)
        for p in resources.casualties[lang].values():
            if p is not None:
                assert _spans(masked_hits.at(p)) == _spans(_word_starts(p, masked, offsets)), p.pattern[:80]


def test_fold_maps_what_re_matches_case_insensitively():
    fold = Fold("skiвт")
    assert fold("Straße ſK İı ᲀᲄ") == "straße sk ii вт"  # ſ -> s, Kelvin sign -> k, İ -> i, ᲀ -> в
    assert fold("No traps here, Шахед!") == "no traps here, шахед!"
    assert Fold("iı")("ı") is None  # "ı" is both keyword characters to `re`: not folded, scanned in full


def test_a_text_that_cannot_be_folded_is_scanned_in_full():
    pattern = re.compile(r"\b(?:ıx|iy)", re.IGNORECASE)  # to `re`, "I" is both "ı" and "i"
    scanner = build_scanners({"xx": [(pattern, [r"ıx|iy"])]})["xx"]
    for text in ("Ix IY ıx iy", "ix ıy"):
        hits = scanner.hits(text, [0, 3, 6, 9])
        assert _spans(hits.finditer(pattern)) == _spans(pattern.finditer(text))
        assert _spans(hits.at(pattern)) == _spans(_word_starts(pattern, text, [0, 3, 6, 9]))


def _random_phrase(rnd: random.Random, depth: int = 0) -> str:
    atoms = ["a", "b", "ab", "ба", "Ба", "k", "s", "i", "[ab]", "[a-c]", "[^a]", r"\w", r"\s", ".", "-", r"\.", "İ"]
    out = []
    for _ in range(rnd.randint(1, 4)):
        if depth < 2 and rnd.random() < 0.3:  # a group: no unbounded repeat around one (no runaway backtracking)
            x = "(?:" + "|".join(_random_phrase(rnd, depth + 1) for _ in range(rnd.randint(1, 3))) + ")"
            x += rnd.choice(["", "", "?", "{2}"])
        else:
            x = rnd.choice(atoms) + rnd.choice(["", "", "", "?", "*", "+", "{1,2}", "{0,2}?", "{2}"])
        out.append(rnd.choice(["", "", "", r"\b", "(?<!a)", "(?=b)", "(?-i:a)"]) + x)
    return "".join(out)


def test_random_phrases_find_what_the_plain_pattern_finds():
    rnd = random.Random(3)
    patterns = []
    for _ in range(300):
        phrase = _random_phrase(rnd)
        try:
            patterns.append((re.compile(phrase, rnd.choice([re.IGNORECASE, 0])), [phrase]))
        except re.error:
            continue
    scanner = build_scanners({"xx": patterns})["xx"]
    alphabet = "aAbBcCkKsSiI бБаА-.\nſıİK"
    for _ in range(40):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60)))
        hits = scanner.hits(text, list(range(len(text))))
        for p, _ in patterns:
            assert _spans(hits.finditer(p)) == _spans(p.finditer(text)), (p.pattern, text)
            assert _spans(hits.at(p)) == _spans(_word_starts(p, text, list(range(len(text))))), (p.pattern, text)


@pytest.mark.parametrize(("phrase", "starts", "required"), [
    (r"shot\s+down", {"shot"}, [{"shot"}, {"down"}]),
    (r"c[ao]me\s+down", {"came", "come"}, [{"came", "come"}, {"down"}]),
    (r"(?:acting\s+)?governor", {"acting", "governor"}, [{"governor"}]),
    (r"(?<!\bto\s)hit(?:s|ting)?", {"hit", "hits", "hitting"}, [{"hit"}]),
    (r"Kh-\d+\w*", {"kh-"}, [{"kh-"}]),
    (r"ПВО\s+(?:работ|сработ)\w*", {"пво"}, [{"пво"}, {"работ", "сработ"}]),
    (NUM_MASK + r"+\s+(?:\w+\s+){0,2}?(?:killed|dead)", {NUM_MASK}, [{NUM_MASK}, {"killed", "dead"}]),
    (r"(?:[A-Z]\w+\s+){1,2}Military\s+Administration", None, [{"military"}, {"administration"}]),
])
def test_phrase_keywords(phrase, starts, required):
    facts = phrase_facts(phrase)
    assert facts.starts == (frozenset(starts) if starts is not None else None)
    assert set(facts.required) == {frozenset(d) for d in required}


@pytest.mark.parametrize("phrase", [r"a{", r"(?P=x)y", r"\1abc", r"(?x)a b", r"(?#note)abc", r"(?>abc)", r"[[a]bc"])
def test_syntax_the_reader_does_not_know_gives_no_keywords(phrase):
    assert phrase_facts(phrase) == PhraseFacts(None, ())


@pytest.mark.parametrize("seed", [1, 2])
def test_sentenize_is_razdel(seed, texts):
    lines = [line for _, text in texts for line in text.split("\n")]
    rnd = random.Random(seed)
    pieces = ["Word", "word", "Он", "т", "г", "ул", "Mr", "U", "т.е", "A", "XX", "12", ". ", "? ", "! ", "… ",
              ".", " ", "  ", "\xa0", ", ", "\"", "«", "»", ") ", "(", "- ", "— ", ":)", "см", "Dr", "1)", "a)", "'",
              ";", "\t", "_", ":-( "]
    lines += ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30))) for _ in range(5000)]
    for line in lines:
        expected = [(s.start, s.stop) for s in razdel.sentenize(line) if s.text.strip()]
        assert sentenize(line) == expected, line
