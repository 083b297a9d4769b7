"""Extraction NLP for dronewatch: one report (English, Russian or Ukrainian) in, place mentions and
incident events (interception, attack, impact, debris_fall) with weapon, count, casualties, damage,
claimant, time window and evidence spans out. Three parts, each in its own place:

- `lexicons/*.yaml`: the grammars and word lists, one section per language (data; no Python);
- `rules/`: the rule functions that read them (places and their links, triggers and counts,
  claimants, what makes a name a place);
- `engine/`: the machinery that runs the rules (tokens and sentences, keyword-prefiltered
  scanning, candidate assembly, the decision stage and its model in `models/decision.json`).

Use `load_resources()` once per process (lexicons, pymorphy3, the decision model; nothing loads at
import time), then `Extractor(resources, places=gazetteer, resolver=geocoder).extract(...)` per
report.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from services.extraction.nlp.engine.extractor import Extractor, detect_language
from services.extraction.nlp.engine.resources import NlpResources, load_resources
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
