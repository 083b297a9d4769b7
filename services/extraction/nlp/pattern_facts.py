"""Facts read off a compiled pattern's parse tree (`re._parser`) for the pre-filters of
`prefilter.py`. Each fact only ever over-approximates where the pattern can match, so using it to
skip work never changes a result:

- the *first K characters*: a small pattern (same flags, hence the same case folding) accepting the
  start of every match - look-arounds and `\\b` are dropped, which only makes it accept more - and,
  when those starts are plain literals, the literal keys themselves;
- the *required literals*: sets of strings of which every match contains one string each
  ("governor" for "(?:acting\\s+)?governor"; {"from", "between"} and ":" for a clock window);
- the *skeleton*: the longest top-level run of literals and whitespace ("the\\s+night\\s+").

Case-insensitive literals are compared against lower-cased text, which is only allowed for a text
made of SAFE characters, where `re`'s case folding is `str.lower` (checked per literal character
once, and per text by the caller). A construct the analysis does not understand yields no fact.
"""
from __future__ import annotations

import re
from re import _constants as C  # noqa: N812 - the sre opcodes
from re import _parser as P  # noqa: N812

K = 3  # characters of prefix used as the key
ANY = r"[\s\S]"
_CATEGORY = {C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W", C.CATEGORY_DIGIT: r"\d",
             C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s", C.CATEGORY_NOT_SPACE: r"\S"}
_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT)}
_ZERO_WIDTH = {C.AT, C.ASSERT, C.ASSERT_NOT}
# Characters whose case-insensitive matching in `re` is exactly `str.lower` equality (verified per
# literal character in `_folds_like_lower`); a text made only of these may be compared lower-cased.
SAFE = "".join(chr(c) for c in [*range(0x80), *range(0xA0, 0xC0), *range(0x400, 0x460), 0x490, 0x491,
                                *range(0x2000, 0x2070), 0x2116, 0x2BC, 0xE000, 0xE001] if c != 0xB5)
UNSAFE = re.compile(f"[^{re.escape(SAFE)}]")
_SAFE_SET = frozenset(SAFE)
_FOLDS: dict[str, bool] = {}
_LITERAL: dict[str, str] = {}  # atom -> the one character it stands for


def _esc(code: int) -> str:
    atom = re.escape(chr(code)) if chr(code) not in "-]\\^" else "\\" + chr(code)
    _LITERAL[atom] = chr(code)
    return atom


def _klass(items) -> str:
    parts = []
    for op, av in items:
        if op is C.LITERAL:
            parts.append(_esc(av))
        elif op is C.RANGE:
            parts.append(f"{_esc(av[0])}-{_esc(av[1])}")
        elif op is C.CATEGORY and av in _CATEGORY:
            parts.append(_CATEGORY[av])
        else:  # NEGATE and anything unusual: any character
            return ANY
    return f"[{''.join(parts)}]"


def _seq(items, k: int) -> set[tuple[tuple[str, ...], bool]]:
    """Prefixes (up to k atoms) of the strings a sequence can match; the flag says the sequence may
    continue into what follows (False: the prefix is complete at k atoms, or unknown beyond)."""
    cur = {((), True)}
    for item in items:
        nxt = set()
        for t, open_ in cur:
            if not open_ or len(t) >= k:
                nxt.add((t, False))
                continue
            for u, uopen in _item(item, k - len(t)):
                v = t + u
                nxt.add((v, uopen and len(v) < k))
        cur = nxt
    return cur


def _item(item, k: int) -> set[tuple[tuple[str, ...], bool]]:
    op, av = item
    if op is C.LITERAL:
        return {((_esc(av),), True)}
    if op is C.IN:
        return {((_klass(av),), True)}
    if op in _ZERO_WIDTH:
        return {((), True)}
    if op is C.SUBPATTERN:
        return _seq(av[3], k) if not (av[1] or av[2]) else {((), False)}  # local flags: unknown
    if op is C.BRANCH:
        return set().union(*(_seq(alt, k) for alt in av[1]))
    if op in _REPEATS:
        lo, hi, sub = av
        nullable = ((), True) in _seq(sub, k)
        return set().union(*(_seq(list(sub) * r, k) for r in range(0 if nullable else min(lo, k), min(hi, k) + 1)))
    if op is C.ANY or op is C.NOT_LITERAL:
        return {((ANY,), True)}
    return {((), False)}  # back references, conditionals...: unknown


def _required(items) -> list[frozenset[str]]:
    """Sets of strings; every match contains one string of each set (a conjunction of disjunctions)."""
    out: list[frozenset[str]] = []
    run = ""
    for op, av in items:
        if op is C.LITERAL:
            run += chr(av)
            continue
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the literals around it stay adjacent
        if run:
            out.append(frozenset([run]))
            run = ""
        if op is C.SUBPATTERN and not (av[1] or av[2]):
            out += _required(av[3])
        elif op is C.BRANCH:
            alts = [_best(_required(alt)) for alt in av[1]]
            if all(alts):
                out.append(frozenset().union(*alts))
        elif op in _REPEATS and av[0] >= 1:
            out += _required(av[2])
        elif op is C.IN and av and all(o is C.LITERAL for o, _ in av):
            out.append(frozenset(chr(c) for _, c in av))
    if run:
        out.append(frozenset([run]))
    return out


_SPACE = [(C.IN, [(C.CATEGORY, C.CATEGORY_SPACE)])]


def _skeleton(items, fold: bool) -> re.Pattern | None:
    """The longest top-level run of literals and whitespace (`the\\s+night\\s+`) as a case-sensitive
    pattern (for a case-insensitive one, over lower-cased text): every match contains a match of it."""
    best: tuple[int, str] = (0, "")
    lits, parts = 0, []
    for op, av in [*items, (None, None)]:
        if op is C.LITERAL and (not fold or _folds_like_lower(chr(av))):
            lits, parts = lits + 1, parts + [re.escape(chr(av).lower() if fold else chr(av))]
        elif [(op, av)] == _SPACE:
            parts = parts + [r"\s"]
        elif op in _REPEATS and av[0] >= 1 and list(av[2]) == _SPACE:
            parts = parts + [rf"\s{{{av[0]},{'' if av[1] == C.MAXREPEAT else av[1]}}}"]
        elif op not in _ZERO_WIDTH:  # zero-width items are dropped (the skeleton only gets looser)
            if lits > best[0] and len(parts) > lits:
                best = (lits, "".join(parts))
            lits, parts = 0, []
    return re.compile(best[1]) if best[0] >= 4 else None


def _best(conj: list[frozenset[str]]) -> frozenset[str] | None:
    return max(conj, key=lambda d: (min(map(len, d)), -len(d)), default=None)


def _folds_like_lower(ch: str) -> bool:
    """Within SAFE, `re` matches `ch` case-insensitively exactly where `str.lower` agrees."""
    v = _FOLDS.get(ch)
    if v is None:
        hits = set(re.findall(re.escape(ch), SAFE, re.IGNORECASE))
        v = _FOLDS[ch] = ch in _SAFE_SET and hits == {x for x in SAFE if x.lower() == ch.lower()}
    return v


def _literal_keys(prefixes, fold: bool) -> tuple[str, ...] | None:
    """The K-character prefixes as plain strings, when each is a run of K literal characters."""
    keys = set()
    for t, _ in prefixes:
        if len(t) != K or not all(a in _LITERAL for a in t):
            return None
        key = "".join(_LITERAL[a] for a in t)
        if fold and not all(_folds_like_lower(c) for c in key):
            return None
        keys.add(key.lower() if fold else key)
    return tuple(sorted(keys))


Analysis = tuple[re.Pattern | None, tuple[frozenset[str], ...], tuple[str, ...] | None, re.Pattern | None]


def analyse(pattern: re.Pattern) -> Analysis:
    """The first-K-characters pattern (None: no filter), the required literals (the three most
    selective sets; lower-cased for a case-insensitive pattern), the literal start keys if any, and
    the literal-and-whitespace skeleton if any."""
    if pattern.flags & (re.VERBOSE | re.DOTALL | re.MULTILINE | re.LOCALE):
        return None, (), None, None
    try:
        tree = list(P.parse(pattern.pattern, pattern.flags & ~re.UNICODE))
    except Exception:
        return None, (), None, None
    fold = bool(pattern.flags & re.IGNORECASE)
    skeleton = _skeleton(tree, fold)
    req = _required(tree)
    if pattern.flags & re.IGNORECASE:
        req = [frozenset(s.lower() for s in d) for d in req if all(_folds_like_lower(c) for s in d for c in s)]
    # at most three sets, of few strings each: a text search per string must stay cheaper than the scan
    req = sorted((d for d in req if len(d) <= 6), key=lambda d: (-min(map(len, d)), len(d)))[:3]
    prefixes = _seq(tree, K)
    if any(not t for t, _ in prefixes):
        return None, tuple(req), None, skeleton  # may match the empty string, or starts with something unknown
    alts = sorted({"".join(t) for t, _ in prefixes})
    pre = re.compile("(?:" + "|".join(alts) + ")", pattern.flags)
    return pre, tuple(req), _literal_keys(prefixes, fold), skeleton
