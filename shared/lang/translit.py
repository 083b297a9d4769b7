"""Cyrillic to Latin, in the three ways the project needs, from one data file (`data/translit.yaml`):

- `romanize(text, lang)`: readable names. Russian in the news style ("Гладков" -> "Gladkov"),
  Ukrainian in the national system ("Олег Мельник" -> "Oleh Melnyk", "Юрій" -> "Yurii"). Officials'
  names, and places the gazetteer does not know, are shown this way.
- `match_letters()`: the coarse letters of the gazetteer's matching key (`shared.places.normalize.fold`),
  where Russian and Ukrainian spellings of one name meet.

The tables load on first use, never at import.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data" / "translit.yaml"
APOSTROPHES = "'’ʼ`´‘ʹ\u02bb"


@cache
def _tables() -> dict[str, Any]:
    with open(DATA, encoding="utf-8") as fh:
        tables: dict[str, Any] = yaml.safe_load(fh)
    return tables


def match_letters() -> dict[str, str]:
    letters: dict[str, str] = _tables()["match_key"]
    return letters


def is_cyrillic_letter(c: str) -> bool:
    return "а" <= c <= "я" or c in "ёіїєґў"


def romanize(text: str, lang: str = "ru") -> str:
    """`text` with its Cyrillic letters romanised (case kept: "Лодыгина" -> "Lodygina"); other
    characters are left as they are, apostrophes inside Cyrillic words dropped."""
    t = _tables()
    news = t["news"]
    letters = {**news, **t["uk_national"]["letters"]} if lang == "uk" else news
    initial = t["uk_national"]["initial"] if lang == "uk" else {}
    out = []
    prev = ""
    for ch in text:
        low = ch.lower()
        if ch in APOSTROPHES and is_cyrillic_letter(prev.lower()):
            continue
        if low in letters:
            r = initial.get(low, letters[low]) if not prev.isalpha() else letters[low]
            out.append(r[:1].upper() + r[1:] if ch != low else r)
        else:
            out.append(ch)
        prev = ch
    return "".join(out)
