"""Reports as they enter the pipeline (topic `articles.received.v1`)."""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.messages.envelope import Frozen, Message

Language = Literal["en", "ru", "uk"]


class SourceContext(Frozen):
    """Who speaks in a report and for where, when its source is known: a followed Telegram channel
    and what the channel registry says of it. Extraction gives the owner as the claimant of events
    whose text names none; geocoding reads the region as the report's context."""

    channel: str  # the channel's username, as in t.me/<channel>
    owner: str | None = None  # "Governor Vasily Anokhin"
    role: str | None = None  # "regional governor"
    region: str | None = None  # ISO 3166-2 ("RU-SMO") or, for a whole country, ISO 3166-1 ("UA")
    # A forwarded post: the channel it came from (owner, role and region are then that channel's,
    # when the registry knows it).
    forwarded_from: str | None = None


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
    # An edited post is a new version of the same report (same id, different text). A version
    # after the first carries the text it replaces, so the pipeline can tell which of the earlier
    # version's events the edit retracts without keeping state of its own.
    version: int = Field(default=1, ge=1)
    previous_text: str | None = None
    # Set by ingestion: the language lingua detects in the text (ISO 639-1, any language, not only
    # the three extraction reads) and its confidence 0..1, next to the sender's `language`.
    detected_language: str | None = None
    language_confidence: float | None = None
    # A repost or light rewrite of an earlier report (MinHash similarity): that report's id.
    near_duplicate_of: str | None = None
    # Set by ingestion for reports from a known source (a followed Telegram channel).
    source_context: SourceContext | None = None
    # The source withdrew the report (a deleted post): this version has no events, and the store
    # marks the report retracted. `text` is the last text it had.
    withdrawn: bool = False


class ArticleReceived(Message):
    EVENT_TYPE: ClassVar[str] = "article.received"
    SCHEMA_VERSION: ClassVar[int] = 3  # 2: version, previous_text; 3: source_context, withdrawn
    payload: Article
