"""Time cues: "overnight" / "этой ночью" / "вночі" (the night before publication), "on the night of
14 March" / "в ночь на 14 марта" / "у ніч на 14 березня", and clock windows "с 20:00 до 07:00 мск".
Each becomes a `TimeWindow` resolved against `published_at` (a night runs from 18:00 the evening
before to 07:00; Moscow time is UTC+3). Without a publication time the window keeps its text and
span but no start/end. Deliberately simple for the first version.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from shared.messages.events import TimeWindow

MSK = timezone(timedelta(hours=3))
NIGHT_START, NIGHT_END = time(18, 0), time(7, 0)


def _month(table: dict[str, int], word: str) -> int | None:
    low = word.lower()
    for stem in sorted(table, key=len, reverse=True):
        if low.startswith(stem):
            return table[stem]
    return None


def _night(day: date, tz) -> tuple[datetime, datetime]:
    return (datetime.combine(day - timedelta(days=1), NIGHT_START, tz), datetime.combine(day, NIGHT_END, tz))


def find_times(cfg: dict[str, Any], text: str, lang: str, published: datetime | None,
               finditer: Callable[[re.Pattern], Iterable[re.Match]] | None = None) -> list[tuple[int, int, TimeWindow]]:
    """`finditer(pattern)` runs a pattern over `text` (default: `pattern.finditer(text)`)."""
    find = finditer or (lambda p: p.finditer(text))
    out: list[tuple[int, int, TimeWindow]] = []
    taken: list[tuple[int, int]] = []
    tz = published.tzinfo if published is not None else None
    pub_day = published.date() if published is not None else None

    def add(a: int, b: int, **kw: Any) -> None:
        if any(x < b and a < y for x, y in taken):
            return
        taken.append((a, b))
        out.append((a, b, TimeWindow(text=text[a:b], span=(a, b), **kw)))

    for pat in cfg["window_re"]:
        for m in find(pat):
            start, end = _window(m, pub_day, tz)
            add(m.start(), m.end(), start=start, end=end, precision="window")
    for pat in cfg["night_of_re"]:
        for m in find(pat):
            month = _month(cfg["months"], m.group("month"))
            if month is None:
                continue
            start, end = _night_of(m, month, pub_day, tz)
            add(m.start(), m.end(), start=start, end=end, precision="night")
    if cfg["night_re"] is not None:
        for m in find(cfg["night_re"]):
            start, end = _night(pub_day, tz) if pub_day is not None else (None, None)
            add(m.start(), m.end(), start=start, end=end, precision="night")
    return sorted(out, key=lambda x: x[0])


def _window(m: re.Match, pub_day: date | None, tz: tzinfo | None) -> tuple[datetime | None, datetime | None]:
    """"from 22:00 to 05:30": the hours on the day of publication (the start the day before when
    it is later than the end); no times without a publication day or with impossible hours."""
    zone = MSK if m.groupdict().get("msk") else tz
    start: datetime | None = None
    end: datetime | None = None
    if pub_day is not None:
        h1, m1, h2, m2 = (int(m.group(k)) for k in ("h1", "m1", "h2", "m2"))
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60:
            end = datetime.combine(pub_day, time(h2, m2), zone)
            sday = pub_day - timedelta(days=1) if (h1, m1) > (h2, m2) else pub_day
            start = datetime.combine(sday, time(h1, m1), zone)
    return start, end


def _night_of(m: re.Match, month: int, pub_day: date | None,
              tz: tzinfo | None) -> tuple[datetime | None, datetime | None]:
    """"the night of 5 May": that night in the latest such month up to the publication day."""
    start: datetime | None = None
    end: datetime | None = None
    if pub_day is not None:
        year = pub_day.year - (1 if month > pub_day.month else 0)
        try:
            start, end = _night(date(year, month, int(m.group("day"))), tz)
        except ValueError:
            pass
    return start, end
