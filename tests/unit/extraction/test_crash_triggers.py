"""A drone that "crashed" or "came down" somewhere is an impact there; debris that "came down" is a
debris fall; a crash without a weapon is no incident. Our own texts."""
from __future__ import annotations

import pytest


def _events(extractor, text: str) -> list[tuple[str, str, str | None]]:
    r = extractor.extract(article_id="t", text=text, title=None, language="en", published_at=None)
    return [(e.type, e.weapon, r.places[e.place].text if e.place is not None else None) for e in r.events]


@pytest.mark.parametrize(("text", "expected"), [
    ("A drone crashed near the village of Ivanovka in the Tula region. Nobody was hurt.",
     ("impact", "uav", "Ivanovka")),
    ("An unmanned aerial vehicle came down near the village of Sosnovka, the governor said.",
     ("impact", "uav", "Sosnovka")),
    ("Debris of a downed drone came down on a field near Kursk.", ("debris_fall", "uav", "Kursk")),
])
def test_crashed_and_came_down(extractor, text, expected):
    assert expected in _events(extractor, text)


def test_a_crash_without_a_weapon_is_no_incident(extractor):
    assert _events(extractor, "A car crash near Kursk injured two people.") == []
