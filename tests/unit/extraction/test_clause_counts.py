"""Counts and clauses. A count in the clause of its type's trigger belongs to that type's only
place, even when another clause names another place: "збито чотири дрони, ще кілька влучили у
склад у Кременчуці" gives four to the interception, none to the hit. "N drones each over A and B"
gives N to each; a plain total over A and B is not split. Our own texts."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize(("lang", "text", "region"), [
    ("uk", "Під час нічної атаки на Полтавщину збито чотири ударні дрони, ще кілька влучили у склад у Кременчуці.",
     "Полтавщину"),
    ("ru", "Во время ночной атаки на Белгородскую область сбиты пять беспилотников, ещё несколько попали в склад "
           "в Шебекино.", "Белгородскую область"),
    ("en", "During the night attack on the Kursk region four drones were shot down, and several more hit a "
           "warehouse in Rylsk.", "Kursk region"),
])
def test_the_count_stays_in_its_clause(extractor, lang, text, region):
    r = extractor.extract(article_id="t", text=text, title=None, language=lang, published_at=None)
    got = {(e.type, r.places[e.place].text): e.count for e in r.events}
    interception = [k for k in got if k[0] == "interception"]
    impacts = [k for k in got if k[0] == "impact"]
    assert interception == [("interception", region)] and got[interception[0]] in (4, 5)
    assert impacts and all(got[k] is None for k in impacts)


def test_n_each_over_listed_places_gives_each_the_number(extractor):
    text = "Air defences downed three drones each over the Kursk and Belgorod regions."
    r = extractor.extract(article_id="t", text=text, title=None, language="en", published_at=None)
    assert [e.count for e in r.events] == [3, 3] and len(r.events) == 2


def test_a_total_over_listed_places_is_not_split(extractor):
    text = "Five drones were shot down over the Kursk and Belgorod regions."
    r = extractor.extract(article_id="t", text=text, title=None, language="en", published_at=None)
    assert [e.count for e in r.events] == [None, None]
