"""Reports as they enter the pipeline (topic `articles.received.v1`)."""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.messages.envelope import Frozen, Message

Language = Literal["en", "ru", "uk"]


class Article(Frozen):
    """One report. `id` is the caller's or derived from the text; `content_hash` is the sha256 of
    the normalised text and is what exact-duplicate detection compares."""

    id: str
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    language: Language | None = None  # as declared by the sender; extraction detects it if absent
    received_at: datetime
    content_hash: str
    # Where the report came from, for the feed, Telegram and file importers.
    channel: str | None = None
    author: str | None = None
    fetched_at: datetime | None = None
    origin: str = Field(default="http", description="http | batch | feed | telegram | file")


class ArticleReceived(Message):
    EVENT_TYPE: ClassVar[str] = "article.received"
    SCHEMA_VERSION: ClassVar[int] = 1
    payload: Article
