"""The keyword prefilter. Python's `re` tries a case-insensitive alternation that starts with `\\b` at
every position of a text; instead, each language gets one Aho-Corasick automaton (pyahocorasick)
over the literal keywords of all its lexicon patterns (`pattern_facts.py` reads them off the YAML
phrases each pattern is built from). A text is scanned once; then a pattern

- is not run at all when some phrase-required keyword is missing from the text (the gate), and
- is tried only at the offsets where one of its start keywords occurs, when every phrase has some.

Results are exactly those of running the pattern over the whole text (or at every word start, for
`at`); only time changes (tests/unit/extraction/test_speed_equivalence.py checks it on the corpus and
the devset). Keywords are lower-case; texts are folded with `Fold`, so that every character which
`re` matches case-insensitively to a keyword character becomes that character. `load_resources()`
builds the scanners once per process; nothing here is global.
"""
from __future__ import annotations

import array
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import ahocorasick

from services.extraction.nlp.engine.pattern_facts import PhraseFacts, phrase_facts

REPLACEMENT = "\ufffd"
SHORT = 2  # keywords this short occur everywhere: they stay out of the automaton and are found on demand


class Fold:
    """Case folding for the keyword scan: `str.lower`, except that a character which `re` matches
    case-insensitively to a keyword character other than its lower-case ("ſ" to "s", "ᲀ" to "в")
    becomes that keyword character, and one whose lower-case is longer ("İ") keeps the length. A text
    with a character that `re` matches to two keyword characters cannot be folded (None)."""

    def __init__(self, keyword_chars: Iterable[str]):
        chars = sorted(set(keyword_chars))
        any_keyword_char = re.compile(f"[{''.join(map(re.escape, chars))}]", re.IGNORECASE) if chars else None
        table: dict[int, str] = {}
        ambiguous = []
        for plane in range(0, 0x110000, 0x10000):  # every code point, one plane at a time
            block = array.array("I", range(plane, plane + 0x10000)).tobytes().decode("utf-32-le", "surrogatepass")
            for c in set(any_keyword_char.findall(block)) if any_keyword_char else ():
                hits = [k for k in chars if re.fullmatch(re.escape(k), c, re.IGNORECASE)]
                if len(hits) > 1:
                    ambiguous.append(c)
                elif hits and hits[0] != c.lower():
                    table[ord(c)] = hits[0]
            if len(block.lower()) != len(block):
                table.update({ord(c): REPLACEMENT for c in block if len(c.lower()) != 1 and ord(c) not in table})
        self._table = table
        self._chars = frozenset(chars)
        self._special = re.compile(f"[{''.join(map(re.escape, map(chr, table)))}]") if table else None
        self._ambiguous = re.compile(f"[{''.join(map(re.escape, ambiguous))}]") if ambiguous else None

    def covers(self, keyword: str) -> bool:
        """True if the folding was built for every character of `keyword`."""
        return all(c in self._chars for c in keyword)

    def __call__(self, text: str) -> str | None:
        if self._ambiguous is not None and self._ambiguous.search(text) is not None:
            return None
        if self._special is not None and self._special.search(text) is not None:
            text = text.translate(self._table)
        folded = text.lower()
        return folded if len(folded) == len(text) else None


@dataclass(frozen=True, slots=True)
class _Facts:
    pattern: re.Pattern
    starts: frozenset[int] | None  # ids of the long start keywords; None: some match may begin otherwise
    short_starts: tuple[str, ...]  # the start keywords too short for the automaton, looked up on demand
    gates: tuple[tuple[frozenset[int], ...], ...] | None  # per phrase: sets that must all occur; None: no gate


def _gate(f: PhraseFacts) -> tuple[frozenset[str], ...]:
    """The two most selective sets of long keywords one phrase requires, or its start keywords."""
    sets = sorted((d for d in f.required if min(map(len, d)) > SHORT), key=lambda d: (-min(map(len, d)), len(d)))
    if sets:
        return tuple(sets[:2])
    if f.starts is not None and min(map(len, f.starts)) > SHORT:
        return (f.starts,)
    return ()


class KeywordScanner:
    """One language's patterns with their keywords, and one automaton over all (long) keywords."""

    def __init__(self, entries: Iterable[tuple[re.Pattern, Sequence[PhraseFacts]]], fold: Fold):
        self.fold = fold
        self._ids: dict[str, int] = {}
        self._facts: dict[int, _Facts] = {}  # by id(pattern), which the entry keeps alive
        for pattern, facts in entries:
            self._facts[id(pattern)] = self._facts_of(pattern, facts)
        # patterns written in code, not built from the lexicons: read from their own source on first use
        self._own: dict[int, tuple[re.Pattern, tuple[frozenset[str], ...]]] = {}
        self._automaton = ahocorasick.Automaton()
        for keyword, i in self._ids.items():
            self._automaton.add_word(keyword, (i, len(keyword)))
        self._automaton.make_automaton()

    def _facts_of(self, pattern: re.Pattern, facts: Sequence[PhraseFacts]) -> _Facts:
        if pattern.flags & re.VERBOSE or not facts:
            return _Facts(pattern, None, (), None)
        starts: frozenset[int] | None = None
        short: tuple[str, ...] = ()
        if all(f.starts is not None for f in facts):
            words = {k for f in facts for k in f.starts or ()}
            starts = frozenset(self._id(k) for k in words if len(k) > SHORT)
            short = tuple(sorted(k for k in words if len(k) <= SHORT))
        gates = tuple(_gate(f) for f in facts)
        ids = None if not all(gates) else tuple(tuple(frozenset(map(self._id, d)) for d in g) for g in gates)
        return _Facts(pattern, starts, short, ids)

    def _id(self, keyword: str) -> int:
        return self._ids.setdefault(keyword, len(self._ids))

    @property
    def patterns(self) -> list[re.Pattern]:
        """The lexicon patterns this scanner filters."""
        return [f.pattern for f in self._facts.values()]

    def own_required(self, pattern: re.Pattern) -> tuple[frozenset[str], ...]:
        """Required keywords of a pattern that is not built from the lexicons, read off its source."""
        entry = self._own.get(id(pattern))
        if entry is None:
            required = () if pattern.flags & re.VERBOSE else phrase_facts(pattern.pattern).required
            required = tuple(d for d in required if all(self.fold.covers(k) for k in d))
            entry = self._own[id(pattern)] = (pattern, required)
        return entry[1]

    def hits(self, text: str, word_starts: list[int] | None = None) -> TextHits:
        """Scan `text` once. `word_starts`: sorted offsets where `TextHits.at` may try a pattern."""
        folded = self.fold(text)
        by_keyword: dict[int, list[int]] = {}
        if folded is not None and self._ids:
            for end, (i, n) in self._automaton.iter(folded):
                starts = by_keyword.get(i)
                if starts is None:
                    by_keyword[i] = [end - n + 1]
                else:
                    starts.append(end - n + 1)
        return TextHits(self, text, folded, by_keyword, word_starts)


class TextHits:
    """Where the keywords of one scanner occur in one text; runs that scanner's patterns over it."""

    __slots__ = ("scanner", "text", "word_starts", "_folded", "_by_keyword", "_short", "_word_set")

    def __init__(self, scanner: KeywordScanner, text: str, folded: str | None,
                 by_keyword: dict[int, list[int]], word_starts: list[int] | None):
        self.scanner, self.text, self.word_starts = scanner, text, word_starts
        self._folded = folded  # None: the text could not be folded, every pattern runs in full
        self._by_keyword = by_keyword
        self._short: dict[str, list[int]] = {}
        self._word_set: set[int] | None = None

    def finditer(self, pattern: re.Pattern) -> list[re.Match]:
        """Exactly `list(pattern.finditer(text))`."""
        folded = self._folded
        if folded is None:
            return list(pattern.finditer(self.text))
        facts = self.scanner._facts.get(id(pattern))
        if facts is None:
            if all(any(k in folded for k in d) for d in self.scanner.own_required(pattern)):
                return list(pattern.finditer(self.text))
            return []
        if not self._possible(facts):
            return []
        if facts.starts is None:
            return list(pattern.finditer(self.text))
        # every match begins with a start keyword: it is not empty and begins at a candidate
        return _first_matches(pattern, self.text, self._candidates(facts), None)

    def at(self, pattern: re.Pattern) -> list[re.Match]:
        """Non-overlapping non-empty matches tried only at the word starts, left to right."""
        words = self.word_starts
        if words is None:
            raise ValueError("TextHits.at needs the word starts given to KeywordScanner.hits")
        facts = self.scanner._facts.get(id(pattern))
        if self._folded is not None and facts is not None:
            if not self._possible(facts):
                return []
            if facts.starts is not None:
                if self._word_set is None:
                    self._word_set = set(words)
                return _first_matches(pattern, self.text, self._candidates(facts), self._word_set)
        return _first_matches(pattern, self.text, words, None)

    def _possible(self, facts: _Facts) -> bool:
        if facts.gates is None:
            return True
        found = self._by_keyword.keys()
        return any(all(not d.isdisjoint(found) for d in gate) for gate in facts.gates)

    def _candidates(self, facts: _Facts) -> list[int]:
        """Sorted offsets where a start keyword of the pattern occurs."""
        by_keyword = self._by_keyword
        lists = [by_keyword[k] for k in (facts.starts or frozenset()).intersection(by_keyword)]
        lists += [self._find(k) for k in facts.short_starts]
        lists = [x for x in lists if x]
        if len(lists) <= 1:
            return lists[0] if lists else []
        return sorted(set(chain.from_iterable(lists)))

    def _find(self, keyword: str) -> list[int]:
        found = self._short.get(keyword)
        if found is None:
            found, folded = [], self._folded or ""
            a = folded.find(keyword)
            while a >= 0:
                found.append(a)
                a = folded.find(keyword, a + 1)
            self._short[keyword] = found
        return found


def _first_matches(pattern: re.Pattern, text: str, offsets: Iterable[int], allowed: set[int] | None) -> list[re.Match]:
    """What a left-to-right scan finds trying `pattern` only at `offsets` (and only those `allowed`)."""
    out: list[re.Match] = []
    last, match = -1, pattern.match
    for a in offsets:
        if a < last or (allowed is not None and a not in allowed):
            continue
        m = match(text, a)
        if m is not None and m.end() > a:
            out.append(m)
            last = m.end()
    return out


def build_scanners(patterns: dict[str, list[tuple[re.Pattern, list[str]]]]) -> dict[str, KeywordScanner]:
    """One scanner per language, from each pattern and the lexicon phrases it was built from, with one
    `Fold` for the keyword characters of all of them. Call once per process."""
    facts = {lang: [(p, [phrase_facts(x) for x in phrases]) for p, phrases in entries]
             for lang, entries in patterns.items()}
    chars = {c for entries in facts.values() for _, fs in entries for f in fs
             for keywords in ([f.starts] if f.starts else []) + list(f.required) for k in keywords for c in k}
    fold = Fold(chars)
    return {lang: KeywordScanner(entries, fold) for lang, entries in facts.items()}
