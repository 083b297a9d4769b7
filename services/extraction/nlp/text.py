"""Text plumbing shared by every rule: a cheap tokenizer that keeps character offsets, sentence
segmentation (lines first, then `razdel.sentenize` inside each line, so headlines without a full
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
    return [Token(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(text)]


def split_sentences(text: str, tokens: list[Token]) -> list[Sentence]:
    """Sentences over the whole text; a line break always ends a sentence, a blank line a paragraph."""
    spans: list[tuple[int, int, int]] = []
    para = 0
    pos = 0
    for line in text.split("\n"):
        if not line.strip():
            para += 1 if spans and spans[-1][2] == para else 0
        else:
            for s in razdel.sentenize(line):
                if s.text.strip():
                    spans.append((pos + s.start, pos + s.stop, para))
        pos += len(line) + 1
    starts = [t.start for t in tokens]
    out = []
    for i, (a, b, p) in enumerate(spans):
        out.append(Sentence(i, a, b, p, bisect_right(starts, a - 1), bisect_right(starts, b - 1)))
    return out


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
