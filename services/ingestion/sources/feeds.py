"""RSS and Atom feeds: a poller that runs inside the ingestion service.

Each feed is fetched with httpx using the validators of the previous answer (If-None-Match,
If-Modified-Since), so an unchanged feed costs a 304; the bytes are parsed by feedparser. Every
new or changed item becomes a report through the same intake as HTTP posts (origin "feed"); an
item whose own text is only a teaser is completed from its web page. A feed that fails is retried
with the shared exponential backoff (shared/backoff.py: its interval doubled per consecutive error,
kept in the feed's row, up to a cap); a success resets it."""
from __future__ import annotations

import asyncio
import calendar
import hashlib
import html
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.ingestion.adapters.feed_store import SqlFeedStore
from services.ingestion.intake import Intake, with_page
from services.ingestion.schemas import ArticleIn
from services.ingestion.sources.polling import run_schedule
from services.ingestion.sources.web import PageError
from shared.backoff import Backoff
from shared.datafiles import Where, load_yaml_doc
from shared.http import describe_validation
from shared.messages import derived_id

log = logging.getLogger(__name__)
PIPELINE_LANGUAGES = ("en", "ru", "uk")


class FeedConfig(BaseModel):
    """A feed as configured in the feeds file or through the admin API."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=4000, description="http(s) address of the RSS or Atom document",
                     json_schema_extra={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"})  # what `_http` checks
    name: str | None = Field(default=None, max_length=500, description="shown as the reports' channel")
    source: str | None = Field(default=None, max_length=500, description="the reports' source; default: feed title")
    language: str | None = Field(default=None, description="en | ru | uk, when the feed does not say")
    interval_s: float | None = Field(default=None, ge=10, le=7 * 86400, description="poll interval")
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value

    @field_validator("language")
    @classmethod
    def _lang(cls, value: str | None) -> str | None:
        if value is not None and value not in PIPELINE_LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(PIPELINE_LANGUAGES)}")
        return value


def feed_id(url: str) -> str:
    return "feed-" + derived_id("feed", url)[:13].replace("-", "")


def load_feeds_file(path: Path) -> list[FeedConfig]:
    """A YAML or JSON file: a list of feeds, or {"feeds": [...]}; each a url or an object. Every
    feed is checked before any is used: a malformed file raises DataFileError naming the line."""
    doc = load_yaml_doc(path)
    data, where = doc.data or [], cast(Where, ())
    if isinstance(data, dict):
        data, where = data.get("feeds", []), ("feeds",)
    if not isinstance(data, list):
        raise doc.error(where, "expected a list of feeds (or a 'feeds' key holding one)")
    out = []
    for n, item in enumerate(data):
        try:
            out.append(FeedConfig.model_validate({"url": item} if isinstance(item, str) else item))
        except ValidationError as err:
            first = err.errors()[0]["loc"] if isinstance(item, dict) else ()
            raise doc.error((*where, n, *first), f"feed {n + 1}: {describe_validation(err.errors())}") from err
    return out


@dataclass
class PollResult:
    status: str  # ok | not_modified | error
    http_status: int | None = None
    accepted: int = 0
    duplicate: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.status == "not_modified":
            return "304 not modified"
        if self.status == "error":
            return f"error: {self.errors[0] if self.errors else 'unknown'}"
        return (f"{self.http_status} ok: {self.accepted} new, {self.duplicate} duplicate, "
                f"{self.unchanged} unchanged, {self.failed} failed")


class FeedPoller:
    def __init__(self, *, store: SqlFeedStore, intake: Intake, http: httpx.AsyncClient,
                 default_interval_s: float, max_backoff_s: float, max_items: int, min_text_chars: int,
                 user_agent: str) -> None:
        self.store = store
        self.intake = intake
        self.http = http
        self.default_interval_s = default_interval_s
        self.max_backoff_s = max_backoff_s
        self.max_items = max_items
        self.min_text_chars = min_text_chars
        self.user_agent = user_agent
        self.wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def interval(self, feed: dict[str, Any]) -> float:
        return float(feed.get("interval_s") or self.default_interval_s)

    def backoff(self, feed: dict[str, Any], errors: int) -> float:
        return Backoff(self.interval(feed), self.max_backoff_s).delay(errors)

    async def poll(self, feed: dict[str, Any]) -> PollResult:
        """Fetch, parse and take in one feed now; records the outcome and the next poll time."""
        async with self._lock:  # one poll at a time: the scheduler and "poll now" never overlap
            now = datetime.now(UTC)
            try:
                result, validators = await self._fetch_and_take(feed)
            except Exception as err:  # noqa: BLE001 - any failure of one feed only delays that feed
                result, validators = PollResult("error", errors=[_reason(err)]), {}
            if result.status == "error":
                errors = int(feed.get("error_count") or 0) + 1
                delay = self.backoff(feed, errors)
                log.warning("feed poll failed", extra={"feed": feed["id"], "error": result.errors[0],
                                                       "errors": errors, "retry_in_s": delay})
                await self.store.record_poll(feed["id"], error_count=errors, last_status=result.describe(),
                                             last_error=result.errors[0], last_polled_at=now,
                                             next_poll_at=now + timedelta(seconds=delay))
            else:
                log.info("feed polled", extra={"feed": feed["id"], "result": result.describe()})
                await self.store.record_poll(feed["id"], error_count=0, last_status=result.describe(),
                                             last_error="; ".join(result.errors[:3]) or None, last_polled_at=now,
                                             next_poll_at=now + timedelta(seconds=self.interval(feed)), **validators)
            return result

    async def _fetch_and_take(self, feed: dict[str, Any]) -> tuple[PollResult, dict[str, Any]]:
        headers = {"User-Agent": self.user_agent,
                   "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
        if feed.get("etag"):
            headers["If-None-Match"] = feed["etag"]
        if feed.get("last_modified"):
            headers["If-Modified-Since"] = feed["last_modified"]
        resp = await self.http.get(feed["url"], headers=headers, follow_redirects=True)
        if resp.status_code == 304:
            return PollResult("not_modified", 304), {}
        if resp.status_code >= 400:
            return PollResult("error", resp.status_code, errors=[f"HTTP {resp.status_code}"]), {}
        import feedparser

        # The HTTP content type (its charset) and the final address inform parsing, as for a URL.
        headers_seen = {"content-type": resp.headers.get("content-type", ""), "content-location": str(resp.url)}
        parsed = await asyncio.to_thread(feedparser.parse, resp.content, response_headers=headers_seen)
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            why = getattr(parsed.get("bozo_exception"), "args", None) or ("no RSS or Atom entries",)
            return PollResult("error", resp.status_code, errors=[f"not a feed: {why[0]}"]), {}
        result = PollResult("ok", resp.status_code)
        seen = await self.store.fingerprints(feed["id"])
        for entry in parsed.entries[: self.max_items]:
            await self._take_entry(feed, parsed.feed, entry, seen, result)
        return result, {"etag": resp.headers.get("etag"), "last_modified": resp.headers.get("last-modified")}

    async def _take_entry(self, feed: dict[str, Any], meta: Any, entry: Any, seen: dict[str, str],
                          result: PollResult) -> None:
        key, fingerprint = item_key(entry), item_fingerprint(entry)
        if seen.get(key) == fingerprint:
            result.unchanged += 1
            return
        try:
            body = entry_to_article(feed, meta, entry)
            if len(body.text or "") < self.min_text_chars and body.url:
                body = await self._complete(body)
            outcome = await self.intake.take(body, origin="feed", fetched_at=datetime.now(UTC))
        except (PageError, ValidationError, ValueError) as err:
            result.failed += 1
            result.errors.append(f"{entry.get('link') or key}: {_reason(err)}")
            return
        setattr(result, outcome.status, getattr(result, outcome.status) + 1)
        await self.store.remember_item(feed["id"], key, fingerprint, outcome.id)

    async def _complete(self, body: ArticleIn) -> ArticleIn:
        """The item's page, when the feed gives only a title or a teaser; the teaser if the page
        cannot be had."""
        try:
            page = await self.intake.fetch(body.url or "")
        except PageError:
            if body.text:
                return body
            raise
        if body.text and len(page.text) <= len(body.text):
            return body
        return with_page(body.model_copy(update={"text": None}), page)

    async def run(self) -> None:
        """Poll due feeds forever; sleeps until the next one is due (or the admin API wakes it)."""
        await run_schedule(self.store, self.poll, self.wake, "feed")


def item_key(entry: Any) -> str:
    ident = entry.get("id") or entry.get("link") or entry.get("title") or ""
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()


def item_fingerprint(entry: Any) -> str:
    parts = [dict.get(entry, "updated") or "", entry.get("title") or "", entry.get("summary") or "",
             *(c.get("value", "") for c in entry.get("content") or [])]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def entry_to_article(feed: dict[str, Any], meta: Any, entry: Any) -> ArticleIn:
    """One feed item as a report: its full content if the feed carries it, else its summary."""
    contents = [c.get("value", "") for c in entry.get("content") or []]
    text = max((html_to_text(c) for c in contents), key=len, default="") or html_to_text(entry.get("summary") or "")
    lang = (feed.get("language") or entry.get("language") or meta.get("language") or "")[:2].lower()
    ident = entry.get("id") or entry.get("link") or entry.get("title") or ""
    return ArticleIn(
        id=f"feed:{feed['id'].removeprefix('feed-')}:{hashlib.sha256(ident.encode()).hexdigest()[:20]}",
        text=text or None, title=html_to_text(entry.get("title") or "") or None, url=entry.get("link") or None,
        source=feed.get("source") or meta.get("title") or None,
        channel=feed.get("name") or meta.get("title") or feed["url"], author=entry.get("author") or None,
        published_at=_struct_time(entry.get("published_parsed") or entry.get("updated_parsed")),
        language=lang if lang in PIPELINE_LANGUAGES else None,
    )


_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(p|br|div|li|h[1-6]|blockquote)\b[^>]*>", re.I)


def html_to_text(fragment: str) -> str:
    text = _BLOCK.sub("\n", fragment)
    text = html.unescape(_TAG.sub("", text))
    lines = (re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)


def _reason(err: BaseException) -> str:
    if isinstance(err, ValidationError):
        return describe_validation(err.errors())
    if isinstance(err, httpx.TimeoutException):
        return "timed out"
    if isinstance(err, httpx.HTTPError):
        return f"{err.__class__.__name__}: {err}"
    return str(err) or err.__class__.__name__
