"""What storage's handlers need from the store."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared.messages import Article, GeocodedArticle
from shared.messages.incidents import Incident


class IncidentStore(Protocol):
    async def record_received(self, article: Article) -> None:
        """Remember an accepted article as pending (keeps a later status; a newer version makes it
        pending again; an older version than the stored one is ignored). Idempotent."""

    async def record_geocoded(self, result: GeocodedArticle) -> int:
        """Replace the article's events with this set and mark it processed, unless the store
        already holds a newer version. Idempotent. Returns the version the store now holds."""

    async def record_received_many(self, batch: Sequence[Article]) -> None:
        """`record_received` for each, in one transaction."""

    async def record_geocoded_many(self, results: Sequence[GeocodedArticle]) -> list[int]:
        """`record_geocoded` for each in order, in one transaction; the version held after each."""

    async def record_failed(self, article_id: str, reason: str, version: int = 1) -> int:
        """Mark the article failed with the reason, unless this version (or a newer one) was
        processed. Idempotent. Returns the version the store now holds."""

    async def record_incidents(self, batch: Sequence[Incident]) -> list[str]:
        """Store each incident's state unless the store holds that id at the same or a higher
        version (the highest of equal ids in the batch wins), replacing its claims, in one
        transaction. Idempotent. Returns the ids written."""
