"""Street names: strip the street-type word (ул., улица, вулиця, проспект, Street, Avenue ...) and the
honorific 'имени/імені', render Cyrillic names in a readable Latin form and append the English type, so
'ул. им. Лодыгина' becomes 'Lodygina Street'. Streets have no coordinates in our sources; the resolver
attaches them to the enclosing district or city.
"""

from __future__ import annotations

import re

from shared.messages.events import Location, PlaceMention

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


def _precision(location: Location | None) -> str:
    """A resolved place's precision; "" for none (no place, or one without coordinates)."""
    return (location.precision or "") if location is not None else ""


def street_location(i: int, pm: PlaceMention, places: list[PlaceMention], out: list[Location | None]) -> Location:
    """A street mention at the finest already-resolved place of the report that encloses it: its parent,
else the nearest preceding city or district (the coordinates say which level they belong to)."""
    street = street_name(pm.street or pm.normalized or pm.text)
    order = []
    if pm.parent is not None and 0 <= pm.parent < len(out):
        order.append(pm.parent)
    rank = {"city_district": 0, "street": 0, "city": 1, "admin2": 2, "admin1": 3}
    others = [
        j
        for j in range(len(out))
        if j != i and rank.get(_precision(out[j]), 9) <= 2
    ]
    others.sort(
        key=lambda j: (
            places[j].span[0] > pm.span[0],
            abs(places[j].span[0] - pm.span[0]),
            rank.get(_precision(out[j]), 9),
        )
    )
    order += others
    for j in order:
        p = out[j]
        if p is None or p.precision is None or p.precision in ("country", "sea"):
            continue
        base_name = p.name.split(", ", 1)[1] if p.street and p.name is not None and ", " in p.name else p.name
        return p.model_copy(
            update={
                "mention": pm.text,
                "span": pm.span,
                "name": f"{street}, {base_name}",
                "street": street,
                "house_numbers": list(pm.house_numbers),
                "confidence": round(p.confidence * 0.9, 3),
                "reason": f"street has no coordinates; using the {p.precision} coordinates of "
                f"{p.name} (mention {j})",
            }
        )
    return Location(
        mention=pm.text,
        span=pm.span,
        name=street,
        street=street,
        house_numbers=list(pm.house_numbers),
        reason="street without a resolvable city or district in the report",
    )
