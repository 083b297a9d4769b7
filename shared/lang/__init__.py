"""Russian and Ukrainian language tools shared by extraction and geocoding: pymorphy3 morphology
(`Morph`: lemmas, nominative forms of place phrases, people's names, dictionary forms of inflected
place names) and romanisation (`romanize`). Build one `Morph` per process in `main()` and pass it in."""
from __future__ import annotations

from shared.lang.morph import PERSON_TAGS, Morph
from shared.lang.translit import romanize

__all__ = ["Morph", "PERSON_TAGS", "romanize"]
