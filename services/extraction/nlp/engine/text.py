"""Text plumbing shared by every rule: a cheap tokenizer that keeps character offsets, sentence
segmentation (lines first, then razdel's `sentenize` inside each line, so headlines without a full
stop stay separate sentences), and small helpers to find the sentence or tokens that cover a span.
Everything here is pure and deterministic; offsets always index the original article text.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

import razdel

TOKEN_RE = re.compile(r"\d+|\w+(?:[-'’]\w+)*|\S")
UPPER_FIRST = re.compile(r"[A-ZА-ЯЁІЇЄҐ]")
MAY_SPLIT = re.compile(r"[^\w\s]\s")  # where razdel can end a sentence: punctuation, then whitespace


class Token:
    __slots__ = ("start", "end", "text", "low", "is_word", "is_cap")

    def __init__(self, start: int, end: int, text: str):
        self.start, self.end, self.text = start, end, text
        self.low = text.lower()
        self.is_word = text[0].isalpha()
        self.is_cap = self.is_word and text[0].isupper()

    @property
    def is_acronym(self) -> bool:
        letters = [c for c in self.text if c.isalpha()]
        return len(letters) >= 2 and all(c.isupper() for c in letters)


@dataclass(frozen=True, slots=True)
class Sentence:
    idx: int
    start: int
    end: int
    para: int
    tok_lo: int  # first token index
    tok_hi: int  # one past the last token index


def tokenize(text: str) -> list[Token]:
    # Token.__init__ inlined (this runs for every token of every report)
    out: list[Token] = []
    new, append = Token.__new__, out.append
    for m in TOKEN_RE.finditer(text):
        tok = new(Token)
        tok.start, tok.end = m.span()
        tok.text = word = m.group()
        tok.low = word.lower()
        first = word[0]
        tok.is_word = alpha = first.isalpha()
        tok.is_cap = alpha and first.isupper()
        append(tok)
    return out


def split_sentences(text: str, tokens: list[Token]) -> list[Sentence]:
    """Sentences over the whole text; a line break always ends a sentence, a blank line a paragraph."""
    spans: list[tuple[int, int, int]] = []
    para = 0
    pos = 0
    for line in text.split("\n"):
        if not line.strip():
            para += 1 if spans and spans[-1][2] == para else 0
        else:
            for a, b in sentenize(line):
                spans.append((pos + a, pos + b, para))
        pos += len(line) + 1
    starts = [t.start for t in tokens]
    out = []
    for i, (a, b, p) in enumerate(spans):
        out.append(Sentence(i, a, b, p, bisect_right(starts, a - 1), bisect_right(starts, b - 1)))
    return out


def sentenize(line: str) -> list[tuple[int, int]]:
    """`razdel.sentenize(line)` as (start, stop) offsets, empty sentences left out. razdel only ever
    splits after a delimiter (punctuation, a closing quote or bracket, a smiley) that whitespace
    follows, so a line without punctuation before whitespace is one sentence and skips razdel."""
    if MAY_SPLIT.search(line) is None:
        out: list[tuple[int, int]] = []
        _add_stripped(out, line, 0, len(line))
        return out
    return [(s.start, s.stop) for s in razdel.sentenize(line) if s.text.strip()]


def _add_stripped(out: list[tuple[int, int]], line: str, a: int, b: int) -> None:
    chunk = line[a:b]
    core = chunk.strip()
    if core:
        start = a + len(chunk) - len(chunk.lstrip())
        out.append((start, start + len(core)))


class SpanIndex:
    """Maps a character offset to the sentence that contains it."""

    def __init__(self, sentences: list[Sentence]):
        self.sentences = sentences
        self._starts = [s.start for s in sentences]

    def sentence_of(self, offset: int) -> int | None:
        i = bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self.sentences[i].end:
            return i
        return None


def mask(text: str, spans: list[tuple[int, int]], char: str = "\ue000") -> str:
    """`text` with each span replaced by `char` repeated (same length, so offsets stay valid)."""
    if not spans:
        return text
    parts = []
    pos = 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        parts.append(text[pos:a])
        parts.append(char * (b - a))
        pos = b
    parts.append(text[pos:])
    return "".join(parts)
