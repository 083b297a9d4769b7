"""Who reported it: the source named at a reporting verb ("..., Petro Melnyk said", "сообщил
Иванов", "повідомили в ОВА"), institutions only where they are the source ("the police said", not
"police officers were hurt"), a claimant given in the sentence after the incident, and a bare
"the governor" when no name is given. All texts are our own."""
from __future__ import annotations

import pytest


def _claims(extractor, text: str, lang: str) -> list[str | None]:
    r = extractor.extract(article_id="t", text=text, title=None, language=lang, published_at=None)
    assert r.events, "expected at least one incident"
    return [e.claimed_by for e in r.events]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "Two drones were shot down over the Tula region overnight, Ivan Petrenko said.", "Ivan Petrenko"),
    ("en", "A drone hit a warehouse in Sumy, according to Olena Marchenko.", "Olena Marchenko"),
    ("en", "A missile struck a depot in Dnipro, the Dnipro city military administration said.",
     "Dnipro city military administration"),
    ("en", "Shelling damaged a school in Kupiansk. The regional prosecutor's office reported no casualties.",
     "regional prosecutor's office"),
    ("en", "Air defences destroyed four drones over the Kursk region, the Russian defence ministry reported.",
     "Russian Ministry of Defense"),
    ("ru", "Над Тульской областью сбиты два беспилотника, сообщил Петров.", "Petrov"),
    ("ru", "Беспилотник упал на склад в Липецке, сообщил Алексей Смирнов.", "Aleksey Smirnov"),
    ("ru", "Дрон атаковал подстанцию в Курске, сообщили в оперштабе области.", "operational headquarters"),
    ("ru", "Обломки беспилотника повредили крышу дома в Брянске, сообщили местные власти.", "local authorities"),
    ("uk", "Над Сумщиною збито три дрони, повідомив Олег Мельник.", "Oleh Melnyk"),
    ("uk", "Ракета влучила в склад у Полтаві, повідомили в Полтавській ОВА.", "regional military administration"),
    ("uk", "У Чернігові уламки дрона пошкодили дах, повідомили в поліції.", "police"),
])
def test_the_source_at_a_reporting_verb_is_the_claimant(extractor, lang, text, expected):
    assert set(_claims(extractor, text, lang)) == {expected}


def test_a_claimant_in_the_next_sentence_of_the_paragraph_counts(extractor):
    text = "A drone struck a garage in Belgorod. Nobody was hurt, Mayor Ivan Sidorov said."
    assert _claims(extractor, text, "en") == ["Mayor Ivan Sidorov"]


def test_a_claimant_in_the_next_paragraph_does_not(extractor):
    text = "A drone struck a garage in Belgorod.\n\nIn other news, Ivan Sidorov said the market reopened."
    assert _claims(extractor, text, "en") == [None]


def test_institutions_are_claimants_only_as_the_source(extractor):
    text = "A drone hit a police station in Kherson, injuring two police officers."
    assert _claims(extractor, text, "en") == [None]


def test_places_and_countries_at_a_verb_are_not_people(extractor):
    assert _claims(extractor, "A drone hit a depot in Kursk, Ukraine said.", "en") == [None]
    assert _claims(extractor, "Беспилотник атаковал Курск, сообщил Брянск.", "ru") == [None]


def test_ukrainian_names_follow_the_national_romanisation(extractor):
    text = "Над Черкащиною збито дві ракети, повідомив Юрій Гнатюк."
    assert _claims(extractor, text, "uk") == ["Yurii Hnatiuk"]


def test_a_bare_governor_is_the_claimant_when_no_name_was_given(extractor):
    assert _claims(extractor, "Five drones were downed over the Oryol region, the governor said.", "en") == ["Governor"]
    text = ("Governor Petr Orlov said a drone was shot down over Oryol. "
            "Later the governor said two more were downed over Mtsensk.")
    assert set(_claims(extractor, text, "en")) == {"Governor Petr Orlov"}


@pytest.mark.parametrize(("text", "name"), [
    ("said Oleksandr Khorunzhyi, spokesman of the State Emergency Service", "Oleksandr Khorunzhyi"),
    ("Mykola Lukashuk, the head of the regional council, said", "Mykola Lukashuk"),
    ("according to Ivan Petrov, a local official", "Ivan Petrov"),
])
def test_a_name_followed_by_a_role_is_a_person(resources, text, name):
    """Such names are never read as places ("Oleksandr" is not the town of Oleksandriia)."""
    m = resources.claims["en"].name_with_role.search(text)
    assert m is not None and m.group("name") == name
