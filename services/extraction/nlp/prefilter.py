"""Exact pre-filters that let a compiled lexicon pattern skip work where it cannot match. Python's
`re` cannot skip ahead for case-insensitive alternations that start with `\\b`, so a plain scan
tries the whole pattern at every position. With the facts of `pattern_facts.py`:

- a text that lacks a required literal, or the skeleton, is not scanned at all;
- the word-start scans (`Starts`) bucket their offsets by the K characters there once per text, and
  each pattern is tried only at the offsets whose key its first-K pattern accepts (memoised per key);
- a `finditer` whose matches all start with a few literal keys is tried only where those occur.

Results are identical to running the pattern everywhere; only time changes
(tests/unit/extraction/test_speed_equivalence.py checks it on the corpus).
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from services.extraction.nlp.pattern_facts import UNSAFE, K, analyse

FEW = 60  # at most this many key occurrences: try the pattern only there instead of a full scan


class Prefiltered:
    """`pattern` plus its required literals and a memo of which K-character keys can start a match."""

    __slots__ = ("pattern", "_pre", "_yes", "_no", "_req", "_fold", "keys", "_skeleton")

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern
        # keys: every match starts with one of these literal strings (lower-cased if case-insensitive)
        self._pre, self._req, self.keys, self._skeleton = analyse(pattern)
        self._fold = bool(pattern.flags & re.IGNORECASE)
        self._yes: set[str] = set()  # keys seen so far that can / cannot start a match
        self._no: set[str] = set()

    def accepted(self, keys) -> set[str]:
        """Those of `keys` that can start a match (memoised per key)."""
        if self._pre is None:
            return set(keys)
        new = keys - self._yes - self._no
        if new:
            if len(self._yes) + len(self._no) > 100_000:
                self._yes.clear()
                self._no.clear()
            match = self._pre.match
            for key in new:
                (self._yes if match(key) is not None else self._no).add(key)
        return keys & self._yes

    def possible(self, view: TextView) -> bool:
        """False if the text lacks a required literal (so the pattern cannot match anywhere)."""
        if not self._req and self._skeleton is None:
            return True
        hay = view.low if self._fold else view.text
        if hay is None:
            return True
        if not all(any(s in hay for s in d) for d in self._req):
            return False
        return self._skeleton is None or self._skeleton.search(hay) is not None

    def at(self, starts: Starts) -> list[re.Match]:
        """Non-overlapping non-empty matches tried only at `starts`, left to right."""
        out: list[re.Match] = []
        if not self.possible(starts):
            return out
        last = -1
        match, text = self.pattern.match, starts.text
        for a in starts.for_pattern(self):
            if a < last:
                continue
            m = match(text, a)
            if m is not None and m.end() > a:
                out.append(m)
                last = m.end()
        return out


class TextView:
    """One text and, when its characters allow it (see SAFE), its lower-cased copy."""

    __slots__ = ("text", "_low")

    def __init__(self, text: str):
        self.text = text
        self._low: str | None | bool = False

    @property
    def low(self) -> str | None:
        if self._low is False:
            self._low = self.text.lower() if UNSAFE.search(self.text) is None else None
        return self._low  # type: ignore[return-value]

    def finditer(self, pattern: re.Pattern) -> list[re.Match]:
        """`list(pattern.finditer(text))`: nothing when a required literal is missing; when every match
        starts with a literal key that occurs only a few times, the pattern is tried only there."""
        pf = prefiltered(pattern)
        if not pf.possible(self):
            return []
        hay = (self.low if pf._fold else self.text) if pf.keys is not None else None
        if hay is None or sum(hay.count(k) for k in pf.keys) > FEW:
            return list(pattern.finditer(self.text))
        starts = []
        for k in pf.keys:
            a = hay.find(k)
            while a >= 0:
                starts.append(a)
                a = hay.find(k, a + 1)
        starts.sort()
        out: list[re.Match] = []
        last, match = -1, pattern.match
        for a in starts:
            if a >= last:
                m = match(self.text, a)
                if m is not None:  # `analyse` found no empty match possible
                    out.append(m)
                    last = m.end()
        return out


class Starts(TextView):
    """Candidate start offsets in one text, bucketed by their K-character key once, so that each
    pattern looks at each distinct key once instead of at every offset."""

    __slots__ = ("_buckets", "_starts")

    def __init__(self, text: str, starts: list[int]):
        super().__init__(text)
        self._starts = starts
        buckets: dict[str, list[int]] = {}
        for a in starts:
            key = text[a:a + K]
            b = buckets.get(key)
            if b is None:
                buckets[key] = [a]
            else:
                b.append(a)
        self._buckets = buckets

    def remasked(self, masked: str, spans: list[tuple[int, int]]) -> Starts:
        """The same offsets over `masked` (this text with `spans` overwritten, same length): only the
        offsets whose key overlaps a span are bucketed again."""
        new = Starts(masked, [])
        new._starts, buckets = self._starts, dict(self._buckets)
        for a, b in spans:
            for k in range(bisect_right(self._starts, a - K), bisect_left(self._starts, b)):
                o = self._starts[k]
                old, key = self.text[o:o + K], masked[o:o + K]
                if old != key and o in buckets.get(old, ()):
                    rest = [x for x in buckets[old] if x != o]
                    if rest:
                        buckets[old] = rest
                    else:
                        del buckets[old]
                    buckets[key] = [*buckets.get(key, ()), o]
        new._buckets = buckets
        return new

    def for_pattern(self, pf: Prefiltered) -> list[int]:
        buckets = self._buckets
        out = [a for key in pf.accepted(buckets.keys()) for a in buckets[key]]
        out.sort()
        return out


_PRE: dict[re.Pattern, Prefiltered] = {}  # compiled lexicon patterns live as long as the process


def prefiltered(pattern: re.Pattern) -> Prefiltered:
    pf = _PRE.get(pattern)
    if pf is None:
        pf = _PRE[pattern] = Prefiltered(pattern)
    return pf
