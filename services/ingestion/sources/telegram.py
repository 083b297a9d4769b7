"""Telegram: channel history from a Telegram Desktop export (result.json), and single posts.

A post's report id is `telegram:<channel>:<message_id>`, the same on every import and for the
single-post endpoint, so a post edited after an earlier import arrives as a new version of the
same report (same id, the edited text) and the versioning downstream updates its events. The
export already holds the edited text and says when it was edited (`edited`, `edited_unixtime`)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.ingestion.adapters.post_stamps import SqlPostStamps
from services.ingestion.intake import Intake, Outcome
from services.ingestion.schemas import ArticleIn
from services.ingestion.sources.registry import ChannelRegistry

_CHANNEL = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# A text is a string or a list of strings and entity objects ({"type": "bold", "text": "..."}).
TelegramText = str | list[str | dict[str, Any]]


class TelegramPost(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(description="the channel's username (as in t.me/<channel>) or numeric id")
    message_id: int = Field(ge=1)
    text: TelegramText = Field(description="the post's text: a string, or Telegram's list of strings and entities")
    date: datetime | None = Field(default=None, description="when it was posted (ISO 8601; naive = UTC)")
    edited: datetime | None = Field(default=None, description="when it was last edited; the text is the edited one")
    author: str | None = Field(default=None, max_length=500, description="signature or sender")
    channel_title: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, description="en | ru | uk, if known")
    forwarded_from: str | None = Field(default=None, max_length=100,
                                       description="a forwarded post: the username of the channel it came from")

    @field_validator("channel", "forwarded_from")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is None:
            return value
        value = value.removeprefix("@")
        if not _CHANNEL.match(value):
            raise ValueError("channel must be a username or numeric id (letters, digits, _ . -)")
        return value

    @property
    def stamp(self) -> datetime | None:
        """When this text was current: the last edit, else the post itself."""
        value = self.edited or self.date
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def to_article(self) -> ArticleIn:
        text = flatten_text(self.text)
        if not text.strip():
            raise ValueError("the post has no text")
        public = not self.channel.lstrip("-").isdigit()
        return ArticleIn(
            id=f"telegram:{self.channel}:{self.message_id}", text=text,
            url=f"https://t.me/{self.channel}/{self.message_id}" if public else None,
            source="telegram", channel=self.channel_title or self.channel, author=self.author,
            published_at=self.date, language=self.language if self.language in ("en", "ru", "uk") else None,
        )


class PostTaker:
    """Takes Telegram posts, however they come (posted, imported, followed): each with what the
    channel registry says of its channel, and never an older edit over a newer one."""

    def __init__(self, intake: Intake, stamps: SqlPostStamps, registry: ChannelRegistry) -> None:
        self.intake, self.stamps, self.registry = intake, stamps, registry

    async def take(self, post: TelegramPost, article: ArticleIn) -> Outcome:
        """An edit older (by `edited`, else `date`) than one already taken is answered as a
        duplicate and not taken, so a late retry cannot roll the report back."""
        stamp = post.stamp
        if stamp is not None and article.id and await self.stamps.superseded(article.id, stamp):
            return Outcome(article.id, "duplicate")
        context = self.registry.context(post.channel, post.forwarded_from)
        outcome = await self.intake.take(article, origin="telegram", context=context)
        if stamp is not None:
            await self.stamps.remember(article.id or outcome.id, stamp)
        return outcome


def flatten_text(text: TelegramText) -> str:
    if isinstance(text, str):
        return text
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in text)


def export_posts(data: dict[str, Any], *, channel: str | None = None) -> Iterator[tuple[Any, TelegramPost | str]]:
    """Every message of a Telegram Desktop export as (message id, as the export gives it; post), or (message id, reason)
    for those that cannot be reports. Accepts one chat's result.json and a whole-account export
    (chats.list). Service messages (joins, pins, title changes) are skipped silently."""
    chats = data.get("chats", {}).get("list") if isinstance(data.get("chats"), dict) else None
    for chat in chats if chats is not None else [data]:
        if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
            raise ValueError("not a Telegram Desktop export: expected 'messages' (or 'chats.list')")
        key = channel or str(chat.get("id", "")) or "unknown"
        for msg in chat["messages"]:
            if not isinstance(msg, dict) or msg.get("type") != "message":
                continue
            mid = msg.get("id")
            text = flatten_text(msg.get("text") or "")
            if not text.strip():
                yield mid, "no text (media only)"
                continue
            try:
                post = TelegramPost(channel=key, message_id=mid, text=text, date=_when(msg, "date"),
                                    edited=_when(msg, "edited"), author=msg.get("author") or msg.get("from"),
                                    channel_title=chat.get("name"))
            except ValueError as err:
                yield mid, str(err)
                continue
            yield mid, post


def _when(msg: dict[str, Any], field: str) -> datetime | None:
    """The export writes local wall time in `date` and the exact instant in `date_unixtime`."""
    unix = msg.get(f"{field}_unixtime")
    if unix not in (None, ""):
        return datetime.fromtimestamp(int(unix), tz=UTC)
    value = msg.get(field)
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
