"""Street names: strip the street-type word (ул., улица, вулиця, проспект, Street, Avenue ...) and the
honorific 'имени/імені', render Cyrillic names in a readable Latin form and append the English type, so
'ул. им. Лодыгина' becomes 'Lodygina Street'. Streets have no coordinates in our sources; the resolver
attaches them to the enclosing district or city.
"""

from __future__ import annotations

import re

from .normalize import is_cyrillic, read_romanize

_STREET_TYPES = [
    (r"ул(?:ица|ице|ицы|\.)?|вул(?:иця|иці|\.)?|street|st\.?", "Street"),
    (r"просп(?:ект|екте|\.)?|пр-т|пр\.|avenue|ave\.?", "Avenue"),
    (r"бул(?:ьвар|ьваре|\.)?|бульв\.|boulevard|blvd\.?", "Boulevard"),
    (r"пер(?:еулок|еулке|\.)?|пров(?:улок|улку|\.)?|lane", "Lane"),
    (r"ш(?:оссе|\.)|шосе|highway", "Highway"),
    (r"пл(?:ощадь|оща|\.)|square", "Square"),
]
_IM = re.compile(r"\b(?:им\.|имени|ім\.|імені)\s*", re.I)


def street_name(raw: str) -> str:
    s = _IM.sub("", raw.strip())
    kind = "Street"
    for pat, en in _STREET_TYPES:
        m = re.search(rf"(?:^|\s)(?:{pat})(?=\s|$)", s, re.I)
        if m:
            kind = en
            s = (s[: m.start()] + " " + s[m.end() :]).strip()
            break
    s = s.strip(" ,.")
    if is_cyrillic(s):
        s = read_romanize(s)
        return f"{s[:1].upper()}{s[1:]} {kind}".strip()
    return (
        raw.strip()
        if re.search(r"(street|avenue|boulevard|lane|highway|square)\b", raw, re.I)
        else f"{s} {kind}"
    )
