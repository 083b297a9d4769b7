"""What extraction's handler needs: something that reads one report."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.messages import ExtractionResult


class ArticleExtractor(Protocol):
    def extract(self, *, article_id: str, text: str, title: str | None, language: str | None,
                published_at: datetime | None, source: str | None = None) -> ExtractionResult:
        """Synchronous and CPU-bound; deterministic for the same input."""


class RegionNames(Protocol):
    def __call__(self, code: str, language: str | None) -> str | None:
        """A name the extractor reads, in a text of `language`, for a region (ISO 3166-2, or ISO
        3166-1 for a country: "RU-SMO" -> "Smolensk Oblast"); None for a code it does not know."""
