"""Text plumbing shared by every rule: a cheap tokenizer that keeps character offsets, sentence
segmentation (lines first, then razdel's sentence rules inside each line, so headlines without a
full stop stay separate sentences; `sentenize` gives exactly `razdel.sentenize`'s sentences, only
faster), and small helpers to find the sentence or tokens that cover a span.
Everything here is pure and deterministic; offsets always index the original article text.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from razdel.segmenters.sentenize import (
    FIRST_TOKEN,
    HEAD_SOKRS,
    INITIALS,
    LAST_TOKEN,
    PAIR_SOKR,
    PAIR_SOKRS,
    SOKRS,
    SentSplit,
)
from razdel.segmenters.sentenize import sentenize as _razdel

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
    # Token.__init__ inlined (this runs for every token of every report)
    out = []
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
    """Exactly `razdel.sentenize(line)` as (start, stop) offsets, empty sentences left out, but cheaper:
    razdel's rules are asked only about a delimiter followed by whitespace (any other delimiter -
    "Russia's", "1.5", a closing quote before a comma - is joined by its first two rules anyway), and the
    sentence text is never rebuilt (razdel's buffer is always one contiguous slice of the line)."""
    out: list[tuple[int, int]] = []
    window, buf = _razdel.split.window, 0
    for m in _razdel.split.re.finditer(line):
        start, stop = m.span()
        right = line[stop:stop + window]
        if not right[:1].isspace():
            continue  # razdel: empty_side / no_space_prefix -> join
        left, delim = line[max(0, start - window):start], m.group(1)
        if not _plain_end(left, delim, right, start - buf):
            split = SentSplit(left, delim, right)
            split.buffer = line[buf:start]
            if _razdel.join(split):
                continue
        _add_stripped(out, line, buf, stop)
        buf = stop
    _add_stripped(out, line, buf, len(line))
    return out


def _plain_end(left: str, delim: str, right: str, buffer_len: int) -> bool:
    """True only where razdel's rules certainly split: ".?!…" then whitespace and a word that is not
    lower-case, after a word that is no abbreviation or initial (else razdel decides)."""
    if delim not in ".?!…":
        return False
    m = FIRST_TOKEN.match(right)
    word = m.group(1) if m else None
    if not word or not word.isalpha() or word.islower():
        return False  # empty_side, lower_right, delimiter_right, dash_right
    m = LAST_TOKEN.search(left)
    last = m.group(1) if m else None
    if not last:
        return False  # empty_side
    if delim == ".":
        low = last.lower()
        if PAIR_SOKR.search(left) or low in HEAD_SOKRS or low in SOKRS or (low, word.lower()) in PAIR_SOKRS:
            return False  # sokr_left, inside_pair_sokr
        if (last.isupper() and len(last) == 1) or low in INITIALS or buffer_len <= 20:
            return False  # initials_left, list_item
    return True


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
