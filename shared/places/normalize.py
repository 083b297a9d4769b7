"""Text normalisation for gazetteer matching: a script-independent matching key, a crude stem that
removes Russian/Ukrainian case endings and the adjectival tails of English renderings (-sky, -skiy,
-skoye, -skaya ...), and recognition of descriptor words (oblast, region, district, район, вулиця ...)
that carry a level hint. Cyrillic (ru+uk) is mapped to Latin with the `match_key` letters of
`shared/lang/data/translit.yaml` (our own table, no GPL code), then Latin spellings are folded coarsely
(kh/g->h, y/j->i, doubled letters collapsed), so
that "Харків", "Kharkiv" and "Харьков" land on nearby keys and "Брянской" and "Bryansk" on the same stem.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from shared.lang.translit import match_letters, romanize

_LAT = {"ž": "zh", "š": "sh", "č": "ch", "ć": "ch", "ś": "s", "ź": "z", "ł": "l", "ŭ": "u", "ə": "a"}
_APOS = "'’ʼ`´‘ʹ\u02bb"
_CYR_RE = re.compile(r"[\u0400-\u04ff]")

# case endings (after folding) removed by stem(), longest first
_ENDINGS = sorted(
    (
        "oho eho omu emu imi ami iami oiu eiu uiu iiu aia oia iia oie iie "
        "ah iah om em im ih oi ai ei ui ia iu ie oe a e i o u"
    ).split(),
    key=len,
    reverse=True,
)

LEVEL_WORDS: dict[str, str] = {}
for _lvl, _words in {
    "oblast": "oblast oblasti oblastiu oblastei oblastiah oblastiami obl region rehion rehiona rehione "
    "rehionu "
    "rehionah rehioni regions rehions province autonomous avtonomnii avtonomna avtonomnaia "
    "krai kraia krae kraiu kraem krau territory respublika "
    "respubliki respublike respubliku respublikoi republic voblast",
    "district": "raion raiona raione raionu raionom raioni raionah raioni raiony rayon rayons district "
    "districts "
    "okruh okruha okruhe okruhu okruhom munitsipalnii munitsipalnoho munitsipalnom municipal urban "
    "horodskoi horodskoho horodskom county rn administrative administrativnii administrativnom ao",
    "city": "city town horod horoda horode horodom misto mista misti mistu mistom hor",
    "village": "village selo sela sele seli selishche selishcha poselok poselka poselke posiolok posiolka "
    "posiolke pht smt settlement stanitsa stanitsi stanitse hutor hutora hutore derevnia derevni "
    "hamlet aul",
    "street": "street st ulitsa ulitsi ulitse ulitsu ul vulitsia vulitsi vul avenue ave prospekt prospekta "
    "prospekte prosp pr boulevard blvd bulvar bulvara bulvare lane pereulok pereulka provulok "
    "shosse highway road square ploshcha ploshchad ploshchadi",
    "sea": "sea more moria more",
    "city_district": "microdistrict mikroraion mkr",
}.items():
    for _w in _words.split():
        LEVEL_WORDS.setdefault(_w, _lvl)
STOP_WORDS = set(
    "the of in on at near over above outside across around from to into and v vo na nad pod iz po u pid "
    "bilia okolo pered za ta i k ko s so z zi imeni im named after former".split()
)
# words that never are a place by themselves (after stem) - helps level_of
_SEP_RE = re.compile(r"\s*(?:,|;|\bи\b|\bта\b|\bі\b|\band\b|\bй\b)\s*", re.I)


def is_cyrillic(text: str) -> bool:
    return bool(_CYR_RE.search(text))


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Script-independent lowercase key: 'Солом'янський район' -> 'solomianskii raion'."""
    s = unicodedata.normalize("NFD", text.lower())
    s = "".join(ch for ch in s if ch not in "\u0301\u0300\u0341\u0340")
    s = unicodedata.normalize("NFC", s)
    out = []
    cyr = match_letters()
    for ch in s:
        if ch in _APOS:
            continue
        if ch in cyr:
            out.append(cyr[ch])
        elif ch in _LAT:
            out.append(_LAT[ch])
        else:
            out.append(ch)
    s = unicodedata.normalize("NFKD", "".join(out))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[^a-z0-9]+", " ", s)
    s = s.replace("kh", "h").replace("gh", "h").replace("g", "h").replace("tz", "ts")
    s = re.sub(r"(?<=[aeiou ])ye|^ye", lambda m: "e", s)
    s = s.replace("w", "v").replace("j", "i").replace("y", "i").replace("x", "ks").replace("q", "k")
    s = re.sub(r"(.)\1+", r"\1", s)  # collapse doubled letters (ii, ss, nn, ll)
    return " ".join(s.split())


def stem_token(tok: str) -> str:
    if len(tok) <= 3 or tok.isdigit():
        return tok
    for end in _ENDINGS:
        if tok.endswith(end) and len(tok) - len(end) >= 3:
            return tok[: -len(end)]
    return tok


def stem(key: str) -> str:
    """Stem every token of a folded key: 'brianskoi' -> 'briansk', 'kurske' -> 'kursk'."""
    return " ".join(stem_token(t) for t in key.split())


def base(stemmed: str) -> str | None:
    """Adjective stem -> base noun: 'millerovsk' -> 'millerov' (Millerovsky District ~ Millerovo)."""
    toks = stemmed.split()
    if not toks:
        return None
    last = toks[-1]
    for suf in ("sk", "tsk", "ck"):
        if last.endswith(suf) and len(last) - len(suf) >= 3:
            return " ".join(toks[:-1] + [last[: -len(suf)]])
    return None


def read_romanize(text: str, lang: str = "ru") -> str:
    """Readable Latin rendering of a Cyrillic street or place name (for display only)."""
    return romanize(text, lang)


def split_descriptors(text: str) -> tuple[str, str | None, str | None]:
    """Split a mention into (core key, level word class, trailing key after an inner descriptor).

    'Тракторозаводском районе Волгограда' -> ('traktorozavodskom', 'district', 'volhohrada');
    'Slobidskyi district of Kharkiv' -> ('slobidskii', 'district', 'harkiv'); 'Smolensk Region' ->
    ('smolensk', 'oblast', None).
    """
    toks = fold(text).split()
    level = None
    core: list[str] = []
    tail: list[str] = []
    seen_desc = False
    for t in toks:
        lw = LEVEL_WORDS.get(t)
        if lw is not None and not (t in ("st", "pr", "hor", "ul", "vul") and seen_desc):
            if level is None or lw in ("street",):
                level = lw
            seen_desc = True
            continue
        if t in STOP_WORDS:
            continue
        if t.isdigit():
            continue
        (tail if seen_desc and core else core).append(t)
    # a "-shchina"/"-chchina" region name (Миколаївщина, Брянщина) is an oblast
    if level is None and core and re.search(r"(shchin|chchin|chin)\w{0,3}$", core[-1]):
        level = "oblast"
    return " ".join(core), level, (" ".join(tail) or None)


def segments(text: str) -> list[str]:
    """Split an enumeration ('Белгородской, Курской областей') into its parts."""
    return [p for p in _SEP_RE.split(text) if p and p.strip()]
