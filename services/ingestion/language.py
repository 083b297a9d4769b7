"""Language identification of every report (lingua), recorded next to what the sender declared.

The detector is restricted to the languages our sources actually write in and runs in lingua's
low-accuracy mode, which keeps only trigram models in memory (about 15 MB of RSS instead of about
300 MB for the full models) and is reliable on report-length texts. It is built once per process,
on first use, never at import."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# ISO 639-1 codes: the three the pipeline extracts from, the neighbours that appear in the same
# channels, and the big European languages of international wire copy.
LANGUAGES = ("en", "ru", "uk", "be", "pl", "de", "fr", "es", "it", "ro", "lt", "lv", "et", "tr")
# Shorter texts (a link title, a one-word post) say too little to be worth a guess.
MIN_CHARS = 12


@dataclass(frozen=True)
class Detected:
    language: str
    confidence: float


class LanguageIdentifier:
    def __init__(self, languages: tuple[str, ...] = LANGUAGES) -> None:
        self._codes = languages
        self._detector: LanguageDetector | None = None
        self._lock = threading.Lock()

    def _build(self) -> LanguageDetector:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in self._codes]
        return (LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode()
                .with_preloaded_language_models().build())

    def detector(self) -> LanguageDetector:
        with self._lock:
            if self._detector is None:
                self._detector = self._build()
            return self._detector

    def detect(self, text: str) -> Detected | None:
        """The most likely language with lingua's confidence (0..1); None when the text is too
        short or has no letters lingua can use."""
        sample = text[:5000]
        if len(sample.strip()) < MIN_CHARS:
            return None
        values = self.detector().compute_language_confidence_values(sample)
        if not values or values[0].value <= 0:
            return None
        best = values[0]
        return Detected(best.language.iso_code_639_1.name.lower(), round(float(best.value), 4))
