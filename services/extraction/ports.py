"""What extraction's handler needs: something that reads one report."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.messages import ExtractionResult


class ArticleExtractor(Protocol):
    def extract(self, *, article_id: str, text: str, title: str | None, language: str | None,
                published_at: datetime | None, source: str | None = None) -> ExtractionResult:
        """Synchronous and CPU-bound; deterministic for the same input."""
