"""Evidence before a name is a place. A mention found by its descriptor ("district", "области",
"village of") names a place. One found only by a locative preposition ("over X", "у X") or by
being a capitalised name the gazetteer knows needs more: it is dropped when each of its words is an
ordinary word of the language or a person's name (`shared.lang.words`: "Атака", "Серед", "Сил",
"Drones", "Artem"), unless the gazetteer knows it as a region or district, or a town of at least
TOWN_POP people ("Moscow", "Херсон", "Павлограді"): names of towns are frequent words too (the
Ukrainian dictionary has no toponym tag), but the namesakes that ordinary words meet are villages."""
from __future__ import annotations

from typing import Any

from services.extraction.nlp.engine.model import Place
from shared.lang.words import WordKnowledge

WEAK_KINDS = ("preposition", "lexicon")
TOWN_POP = 10_000
NOT_A_NAME = ("ordinary", "person")


def without_weak_names(places: list[Place], lang: str, words: WordKnowledge, lexicon: Any) -> list[Place]:
    keep = [p for p in places if not _weak(p, lang, words, lexicon)]
    if len(keep) == len(places):
        return places
    dropped = {id(p) for p in places} - {id(p) for p in keep}
    for p in keep:
        if p.parent is not None and id(p.parent) in dropped:
            p.parent = None
    return keep


def _weak(p: Place, lang: str, words: WordKnowledge, lexicon: Any) -> bool:
    if p.kind not in WEAK_KINDS or p.level == "street":
        return False
    tokens = [w for w in p.text.replace("’", "'").split() if any(c.isalpha() for c in w)]
    tokens = [w[:-2] if w.endswith("'s") else w for w in tokens]
    if not tokens or not all(words.reading(w.strip(".,:;!?()«»\"'"), lang) in NOT_A_NAME for w in tokens):
        return False
    if lexicon is None:
        return False  # nothing to weigh the word against: keep it
    return max(lexicon.population(p.normalized, lang), lexicon.population(p.text, lang)) < TOWN_POP
