"""Request and response bodies of the ingestion API (v1)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, str_strip_whitespace=False)

    id: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@/-]+$",
                           description="Caller's id; derived from the text when absent.")
    text: str | None = Field(default=None, min_length=1, max_length=1_000_000,
                             description="The report's text; when absent, `url` is fetched and its article text used.")
    title: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=500)
    published_at: datetime | None = Field(default=None, description="ISO 8601; naive times are taken as UTC.")
    language: Literal["en", "ru", "uk"] | None = None
    channel: str | None = Field(default=None, max_length=500, description="Telegram channel, feed or section.")
    author: str | None = Field(default=None, max_length=500)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.strip():
            raise ValueError("text must not be empty or only whitespace")
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        return value

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL text cannot hold NUL, so the store would refuse it after we had accepted the report.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @model_validator(mode="after")
    def _text_or_url(self) -> ArticleIn:
        if self.text is None and not self.url:
            raise PydanticCustomError("missing", "text: Field required (or give a url to fetch the text from)")
        return self


class ArticleAccepted(BaseModel):
    id: str
    status: Literal["accepted", "duplicate"]
    near_duplicate_of: str | None = Field(default=None, description="Accepted, but a repost or rewrite of this report.")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    articles: list[dict[str, object]] = Field(min_length=1)


class BatchItemResult(BaseModel):
    index: int
    id: str | None = None
    status: Literal["accepted", "duplicate", "rejected"]
    error: str | None = None
    near_duplicate_of: str | None = None


class BatchResult(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    results: list[BatchItemResult]
