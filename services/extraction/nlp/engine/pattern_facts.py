"""Literal keywords read off a lexicon phrase (one regular-expression fragment of the YAML lexicons)
for the keyword prefilter of `prefilter.py`:

- the *start keywords*: strings one of which begins every match ("shot" for `shot\\s+down`,
  "came" and "come" for `c[ao]me\\s+down`, "acting" and "governor" for `(?:acting\\s+)?governor`);
- the *required keywords*: sets of strings of which every match contains one string each ("death",
  "toll" and {"rose", "reached", "is", "of"} for `death\\s+toll\\s+(?:rose\\s+to|reached|is|of)\\s+{N}`).

Keywords are lower-case; the scanner compares them with case-folded text. The reader knows the part
of the syntax the lexicons use (literals, escapes, character sets, groups, look-arounds, alternation,
quantifiers) and gives no keyword for anything else. A fact only ever over-approximates where a
phrase can match, so a missing keyword costs time, never a result.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LEN = 12  # characters of a start keyword (a prefix of a start keyword is one too)
MAX_SET = 64  # strings in one set of keywords
MAX_STEPS = 20_000  # work on one phrase before the reader gives up
INF = -1
ZERO, OTHER = ("zero",), ("other",)  # consumes nothing / one character that is no literal
CLASS_ESCAPES, ZERO_ESCAPES = set("dDwWsS"), set("bBAZ")
CHAR_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
REPEAT = re.compile(r"\{(\d*)(,?)(\d*)\}")
GROUP = re.compile(r"\?(?::|P<\w+>|=|!|<=|<!|([aiLmsux]*)(?:-([imsx]+))?(:|\)))")  # after "("

# An item: ZERO | OTHER | ("lit", chars) one of these characters | ("alt", [items, ...]) a group |
# ("rep", item, lo, hi) a quantified item (hi == INF: no upper bound).
Item = tuple


class Unknown(ValueError):
    """The phrase uses syntax the reader does not know: it gets no keywords."""


@dataclass(frozen=True, slots=True)
class PhraseFacts:
    starts: frozenset[str] | None  # None: no literal begins every match
    required: tuple[frozenset[str], ...]  # every match contains one string of each set


def phrase_facts(phrase: str) -> PhraseFacts:
    """The keywords of one phrase as `re.compile` reads it (any flags but VERBOSE)."""
    try:
        tree = _Reader(phrase).read()
        starts = _shrink(_starts([tree], MAX_LEN, [0]))
        required = tuple(_required([tree]))
    except (Unknown, RecursionError):
        return PhraseFacts(None, ())
    return PhraseFacts(None if "" in starts else frozenset(starts), required)


class _Reader:
    def __init__(self, source: str):
        self.s, self.i = source, 0

    def read(self) -> Item:
        tree = ("alt", self._alts())
        if self.i != len(self.s):
            raise Unknown(f"unbalanced ')' at {self.i}")
        return tree

    def _peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def _alts(self) -> list[list[Item]]:
        alts = [self._seq()]
        while self._peek() == "|":
            self.i += 1
            alts.append(self._seq())
        return alts

    def _seq(self) -> list[Item]:
        items: list[Item] = []
        while self._peek() not in ("", "|", ")"):
            items.append(self._quantified(self._atom()))
        return items

    def _atom(self) -> Item:
        c = self.s[self.i]
        self.i += 1
        if c == "(":
            return self._group()
        if c == "[":
            return self._charset()
        if c == "\\":
            return self._escape()
        if c == ".":
            return OTHER
        if c in "^$":
            return ZERO
        if c in "*+?{":
            raise Unknown(f"{c!r} at {self.i - 1}")  # nothing to repeat, or a literal brace
        return _lit(c)

    def _quantified(self, item: Item) -> Item:
        c = self._peek()
        if c in ("*", "+", "?"):
            lo, hi = {"*": (0, INF), "+": (1, INF), "?": (0, 1)}[c]
            self.i += 1
        elif c == "{":
            m = REPEAT.match(self.s, self.i)
            if m is None or not (m[1] or m[3]):
                raise Unknown(f"brace at {self.i}")
            lo, hi = int(m[1] or 0), (int(m[3]) if m[3] else INF) if m[2] else int(m[1])
            self.i = m.end()
        else:
            return item
        if item is ZERO:
            raise Unknown("quantified assertion")
        if self._peek() in ("?", "+"):  # lazy or possessive: the same strings
            self.i += 1
        if self._peek() in ("*", "+", "?", "{"):
            raise Unknown("multiple repeat")
        return ("rep", item, lo, hi)

    def _group(self) -> Item:
        s, zero = self.s, False
        if s.startswith("?", self.i):
            m = GROUP.match(s, self.i)
            if m is None:
                raise Unknown(f"group syntax at {self.i}")  # back reference, comment, conditional
            if "x" in (m[1] or "") + (m[2] or ""):
                raise Unknown("verbose flag")
            self.i = m.end()
            if m[3] == ")":
                return ZERO  # global flags: case is folded anyway
            zero = m.group().startswith(("?=", "?!", "?<"))
        alts = self._alts()
        if self._peek() != ")":
            raise Unknown("unclosed group")
        self.i += 1
        return ZERO if zero else ("alt", alts)

    def _escape(self) -> Item:
        c = self._peek()
        if not c:
            raise Unknown("trailing backslash")
        self.i += 1
        if c in CLASS_ESCAPES:
            return OTHER
        if c in ZERO_ESCAPES:
            return ZERO
        if c in CHAR_ESCAPES:
            return _lit(CHAR_ESCAPES[c])
        if c.isalnum():
            raise Unknown(f"escape \\{c}")  # back reference, \x.., \u...., \N{...}
        return _lit(c)

    def _charset(self) -> Item:
        s, chars, other = self.s, set(), False
        if self._peek() == "^":
            self.i, other = self.i + 1, True
        first = True
        while True:
            if self.i >= len(s):
                raise Unknown("unclosed set")
            c = s[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[" or s.startswith(("--", "&&", "~~", "||"), self.i):
                raise Unknown("nested set or set operation")
            ch = self._set_char()
            if ch is None:
                other = True
            elif self._peek() == "-" and s[self.i + 1:self.i + 2] not in ("]", ""):
                self.i += 1
                self._set_char()
                other = True  # a range
            else:
                chars.add(ch)
        if other or len(chars) > 8:
            return OTHER
        return _lit(*chars)

    def _set_char(self) -> str | None:
        """One member of a set; None for a class escape (\\w)."""
        c = self.s[self.i]
        self.i += 1
        if c != "\\":
            return c
        c = self._peek()
        self.i += 1
        if c in CLASS_ESCAPES:
            return None
        if c in CHAR_ESCAPES:
            return CHAR_ESCAPES[c]
        if not c or c.isalnum():
            raise Unknown(f"escape \\{c} in a set")
        return c


def _lit(*chars: str) -> Item:
    low = {c.lower() for c in chars}
    return ("lit", frozenset(low)) if all(len(c) == 1 for c in low) else OTHER


def _shrink(strings: set[str]) -> set[str]:
    """At most MAX_SET strings, by cutting them shorter (a prefix of a start keyword is one too)."""
    n = MAX_LEN
    while len(strings) > MAX_SET and n > 0:
        n -= 1
        strings = {x[:n] for x in strings}
    return strings


def _starts(items: list[Item], budget: int, steps: list[int]) -> set[str]:
    """Strings one of which begins every match of `items` ("" when nothing is known)."""
    steps[0] += 1
    if steps[0] > MAX_STEPS:
        raise Unknown("phrase too complex")
    if not items or budget == 0:
        return {""}
    head, rest = items[0], items[1:]
    kind = head[0]
    if kind == "zero":
        return _starts(rest, budget, steps)
    if kind == "lit":
        tails = _starts(rest, budget - 1, steps)
        return _shrink({c + t for c in head[1] for t in tails})
    if kind == "alt":
        return _shrink(set().union(*(_starts(alt + rest, budget, steps) for alt in head[1])))
    if kind == "rep":
        once = _starts([head[1]], budget, steps)  # the run of literals ends after one repetition
        return _shrink(once | _starts(rest, budget, steps)) if head[2] == 0 else once
    return {""}


def _required(items: list[Item]) -> list[frozenset[str]]:
    """Sets of strings; every match of `items` contains one string of each set."""
    out: list[frozenset[str]] = []
    run = {""}
    for item in items:
        kind = item[0]
        if kind == "zero":
            continue  # consumes nothing: the literals around it stay adjacent
        if kind == "lit":
            longer = {r + c for r in run for c in item[1]}
            if len(longer) > MAX_SET:
                _flush(out, run)
                longer = set(item[1])
            run = longer
            continue
        _flush(out, run)
        run = {""}
        if kind == "alt" and len(item[1]) == 1:
            out += _required(item[1][0])
        elif kind == "alt":
            best = [_best(_required(alt)) for alt in item[1]]
            if all(b is not None for b in best):
                out.append(frozenset().union(*best))  # type: ignore[arg-type]
        elif kind == "rep" and item[2] >= 1:
            out += _required([item[1]])
    _flush(out, run)
    return out


def _flush(out: list[frozenset[str]], run: set[str]) -> None:
    if "" not in run:
        out.append(frozenset(run))


def _best(conj: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective set: longest shortest string, then fewest strings."""
    return max(conj, key=lambda d: (min(map(len, d)), -len(d)), default=None)
