"""Rule-based extraction NLP for dronewatch: turns one report (English, Russian or Ukrainian) into
place mentions and incident events (interception, attack, impact, debris_fall) with weapon,
count, casualties, damage, claimant, time window and evidence spans. The grammars and word lists
live in `lexicons/*.yaml`; the code here only runs them. Use `load_resources()` once per process
(it loads the pymorphy3 analyzers and the lexicons; nothing loads at import time), then
`Extractor(resources).extract(...)` per article; optionally pass a `PlaceLexicon` (e.g. the
geocoder's gazetteer) so that bare place names without a preposition are found too.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from services.extraction.nlp.extractor import Extractor, detect_language
from services.extraction.nlp.resources import NlpResources, load_resources
from shared.messages.events import LevelHint


@runtime_checkable
class PlaceLexicon(Protocol):
    def level_of(self, surface: str, language: str) -> LevelHint | None:
        """A level hint if `surface` (as it appears in text, possibly inflected) is a known place."""
        ...

    def population(self, surface: str, language: str) -> int:
        """People in the largest place `surface` names (a region or district counts as large); 0: none."""
        ...


__all__ = ["Extractor", "NlpResources", "PlaceLexicon", "detect_language", "load_resources"]
