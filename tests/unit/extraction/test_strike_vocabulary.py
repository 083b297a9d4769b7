"""Ways reports say that fire reached a place, and lists of places that share one descriptor.
Our own texts."""
from __future__ import annotations

import pytest


def _extract(extractor, text: str, language: str):
    return extractor.extract(article_id="t", text=text, title=None, language=language, published_at=None)


def _events(extractor, text: str, language: str) -> set[tuple[str, str | None]]:
    r = _extract(extractor, text, language)
    return {(e.type, r.places[e.place].normalized if e.place is not None else None) for e in r.events}


@pytest.mark.parametrize(("text", "language"), [
    ("Вчора під ворожий обстріл потрапили Дубовицька та Ясенівська громади Сумської області.", "uk"),
    ("Вечером под обстрел попали Грайворонский и Краснояружский районы Белгородской области.", "ru"),
])
def test_coordinated_names_share_a_plural_descriptor(extractor, text, language):
    """ "A та B громади": each adjective is a place of its own with the descriptor's level."""
    places = _extract(extractor, text, language).places
    listed = [p for p in places if p.level_hint in ("hromada", "district", "village", "city")]
    assert len({p.span for p in listed}) >= 2, [p.text for p in places]


def test_a_list_before_a_plural_descriptor_reads_every_item(extractor):
    text = "Під вогонь потрапили Дубовицька, Ясенівська, Кленівська та Березнівська громади Сумщини."
    names = [p.text for p in _extract(extractor, text, "uk").places if p.level_hint == "hromada"]
    assert len(names) == 4, names


@pytest.mark.parametrize(("text", "language"), [
    ("Росіяни обстріляли Нікополь з важкої артилерії, пошкоджено два будинки.", "uk"),
    ("Важкою артилерією окупанти накрили село Іванівка, постраждалих немає.", "uk"),
    ("ВСУ обстреляли Шебекино из артиллерии, повреждены два дома.", "ru"),
    ("The enemy carried out three strikes on Kharkiv with guided bombs.", "en"),
    ("Russian aircraft dropped two aerial bombs on Kupiansk in the afternoon.", "en"),
    ("Enemy forces used Shahed drones to strike a substation in Konotop.", "en"),
])
def test_fire_that_reached_a_place_is_an_impact(extractor, text, language):
    assert any(t == "impact" for t, _ in _events(extractor, text, language)), _events(extractor, text, language)


def test_a_strike_on_a_place_without_an_outcome_is_an_attack(extractor):
    events = _events(extractor, "Overnight Russia launched an air strike on Odesa with drones.", "en")
    assert events and all(t == "attack" for t, _ in events), events


@pytest.mark.parametrize(("text", "language"), [
    ("Over the Volyn region air defence forces and mobile fire groups had worked all night; every enemy target "
     "was destroyed.", "en"),
    ("Над Волинською областю всі ворожі цілі знищено силами ППО.", "uk"),
])
def test_enemy_targets_destroyed_by_air_defence_are_interceptions(extractor, text, language):
    assert any(t == "interception" for t, _ in _events(extractor, text, language)), _events(extractor, text, language)
