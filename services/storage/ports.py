"""What storage's handlers need from the store."""
from __future__ import annotations

from typing import Protocol

from shared.messages import Article, GeocodedArticle


class IncidentStore(Protocol):
    async def record_received(self, article: Article) -> None:
        """Remember an accepted article as pending (keeps a later status). Idempotent."""

    async def record_geocoded(self, result: GeocodedArticle) -> None:
        """Replace the article's events with this set and mark it processed. Idempotent."""

    async def record_failed(self, article_id: str, reason: str) -> None:
        """Mark the article failed with the reason, unless it was processed. Idempotent."""
