"""The one way a report enters the pipeline, whatever its source (HTTP post, batch, feed,
Telegram, file import): complete it from its web page when it has only a link, build the
message, detect its language, link it to an earlier near-duplicate, then `accept` it (outbox,
publish)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.ingestion.dedup import NearDuplicateIndex
from services.ingestion.handlers import Outbox, Publisher, accept_many, to_message
from services.ingestion.language import LanguageIdentifier
from services.ingestion.schemas import ArticleIn
from services.ingestion.settings import IngestionSettings
from services.ingestion.sources.web import Page, PageError, fetch_page
from shared.messages import ArticleReceived, SourceContext

log = logging.getLogger(__name__)
Taken = tuple[int, ArticleReceived, ArticleIn, datetime | None]  # (index in the call, message, body, fetched at)


@dataclass(frozen=True)
class Outcome:
    id: str
    status: str  # accepted | duplicate
    near_duplicate_of: str | None = None


class Intake:
    def __init__(self, settings: IngestionSettings, *, outbox: Outbox, publisher: Publisher,
                 http: httpx.AsyncClient, languages: LanguageIdentifier | None = None,
                 near: NearDuplicateIndex | None = None) -> None:
        self.settings = settings
        self.outbox = outbox
        self.publisher = publisher
        self.http = http
        self.languages = languages or LanguageIdentifier()
        self.near = near or NearDuplicateIndex(threshold=settings.ingestion_near_dup_threshold,
                                               num_perm=settings.ingestion_near_dup_num_perm,
                                               max_size=settings.ingestion_near_dup_max_rows)

    async def fetch(self, url: str) -> Page:
        return await fetch_page(self.http, url, max_bytes=self.settings.ingestion_fetch_max_bytes)

    async def complete(self, body: ArticleIn) -> tuple[ArticleIn, datetime | None]:
        """A body without text gets its page's text, and title/author/date where it has none.
        Raises PageError (with the reason) when the page cannot give any."""
        if body.text is not None or not body.url:
            return body, None
        page = await self.fetch(body.url)
        return with_page(body, page), page.fetched_at

    async def take(self, body: ArticleIn, *, origin: str, fetched_at: datetime | None = None,
                   context: SourceContext | None = None) -> Outcome:
        """Take one report (`context`: who speaks in it, for where, when its source is known).
        Raises PageError when it has only a link whose page gives no text."""
        [outcome] = await self.take_many([body], origin=origin, fetched_at=fetched_at, contexts=[context])
        if isinstance(outcome, PageError):
            raise outcome
        return outcome

    async def take_many(self, bodies: Sequence[ArticleIn], *, origin: str, fetched_at: datetime | None = None,
                        contexts: Sequence[SourceContext | None] | None = None) -> list[Outcome | PageError]:
        """Take reports in order, answering for each (a PageError for a link without text): their
        language detected in one worker-thread call, then kept in the outbox in one transaction
        and published together (`accept_many`). A report is judged against the earlier ones of
        the same call as if they had come one by one: a repeated text is a duplicate, a rewrite a
        near-duplicate."""
        out: list[Outcome | PageError | None] = [None] * len(bodies)
        taken: list[Taken] = []
        for index, body in enumerate(bodies):
            try:
                complete, page_fetched = await self.complete(body)
            except PageError as err:
                out[index] = err
                continue
            context = contexts[index] if contexts is not None else None
            taken.append((index, to_message(complete, origin=origin, context=context), complete,
                          page_fetched or fetched_at))
        if taken:
            await self._take(taken, out)
        return [o for o in out if o is not None]

    async def _take(self, taken: Sequence[Taken],
                    out: list[Outcome | PageError | None]) -> None:
        known = await self.outbox.known_hashes(m.payload.content_hash for _, m, _, _ in taken)
        messages = await asyncio.to_thread(self._annotate_all, taken, known)
        accepted = await accept_many(messages, outbox=self.outbox, publisher=self.publisher)
        for (index, _, _, _), message, (article_id, new) in zip(taken, messages, accepted, strict=True):
            out[index] = (Outcome(article_id, "accepted", message.payload.near_duplicate_of) if new
                          else Outcome(article_id, "duplicate"))

    def _annotate_all(self, taken: Sequence[Taken],
                      known: set[str]) -> list[ArticleReceived]:
        """Language and near-duplicate link of each report; each text not already in the outbox
        goes into the near-duplicate index at once, so a later report of the batch finds it."""
        out = []
        for _, message, body, fetched_at in taken:
            message = self._annotate(message, body, fetched_at)
            a = message.payload
            if a.content_hash not in known:
                known.add(a.content_hash)
                self.near.add(a.id, a.text)
            out.append(message)
        return out

    def _annotate(self, message: ArticleReceived, body: ArticleIn, fetched_at: datetime | None) -> ArticleReceived:
        a = message.payload
        detected = self.languages.detect(a.text)
        update: dict[str, Any] = {
            "channel": body.channel, "author": body.author, "fetched_at": fetched_at,
            "detected_language": detected.language if detected else None,
            "language_confidence": detected.confidence if detected else None,
            "near_duplicate_of": self.near.find(a.text, exclude=a.id),
        }
        return message.model_copy(update={"payload": a.model_copy(update=update)})

    async def rebuild_near_duplicates(self) -> int:
        """Fill the near-duplicate index from the outbox's recent reports (bounded)."""
        since = datetime.now(UTC) - timedelta(days=self.settings.ingestion_near_dup_window_days)
        rows = await self.outbox.recent_texts(since, self.settings.ingestion_near_dup_max_rows)
        n = await asyncio.to_thread(self.near.rebuild, rows)
        log.info("near-duplicate index rebuilt", extra={"reports": n})
        return n


def with_page(body: ArticleIn, page: Page) -> ArticleIn:
    return body.model_copy(update={
        "text": page.text, "title": body.title or page.title, "author": body.author or page.author,
        "published_at": body.published_at or page.published_at, "source": body.source or page.site,
    })
