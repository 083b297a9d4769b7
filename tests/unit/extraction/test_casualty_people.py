"""One person named with an age or a description is a toll of one; a year is never a toll. Our
own texts."""
from __future__ import annotations

import pytest


def _tolls(extractor, text: str) -> list[tuple[int | None, int | None]]:
    r = extractor.extract(article_id="t", text=text, title=None, language="en", published_at=None)
    return [(e.killed, e.injured) for e in r.events]


@pytest.mark.parametrize(("text", "toll"), [
    ("A kamikaze drone injured a 63-year-old pensioner in the village of Krasnoye.", (None, 1)),
    ("In the village of Krasnoye a drone hit a car. The driver, a 35-year-old man, later died in hospital.",
     (1, None)),
    ("A drone struck a shop in the village of Krasnoye; a woman born in 1958 was hurt.", (None, 1)),
])
def test_one_person_is_a_toll_of_one(extractor, text, toll):
    assert toll in _tolls(extractor, text)


def test_a_year_is_not_a_toll(extractor):
    tolls = _tolls(extractor, "A drone struck a shop in the village of Krasnoye; a man born in 1949 was injured.")
    assert all(k != 1949 and i != 1949 for k, i in tolls) and tolls


@pytest.mark.parametrize(("lang", "text", "injured"), [
    ("en", "A drone hit a warehouse in Sumy overnight. Four workers sustained injuries of varying severity.", 4),
    ("ru", "Беспилотник атаковал автомобиль в Шебекино. Три человека получили осколочные ранения.", 3),
    ("uk", "Дрон влучив у будинок у Бориспільському районі. Четверо людей отримали травми.", 4),
])
def test_people_who_sustained_injuries_are_the_injured(extractor, lang, text, injured):
    r = extractor.extract(article_id="t", text=text, title=None, language=lang, published_at=None)
    assert injured in [e.injured for e in r.events]


@pytest.mark.parametrize(("lang", "text"), [
    ("uk", "Дрон влучив у приватний будинок у Нікополі. Поранення внаслідок удару отримала 58-річна жінка."),
    ("uk", "У Херсоні дрон атакував автомобіль, там постраждала людина."),
    ("ru", "Дрон атаковал дом в Шебекино. Осколочное ранение получила 60-летняя женщина."),
])
def test_the_wound_named_before_the_person_is_a_toll_of_one(extractor, lang, text):
    r = extractor.extract(article_id="t", text=text, title=None, language=lang, published_at=None)
    assert 1 in [e.injured for e in r.events]
