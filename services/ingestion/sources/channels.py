"""Following public Telegram channels through their web preview (`<base>/s/<channel>`), a poller
inside the ingestion service, scheduled like the feeds (`polling`).

A poll reads the newest page. Every text post on it becomes a report `telegram:<channel>:<id>`
through the same intake as posted ones (`PostTaker`: the channel registry's context, edit stamps);
a post whose text changed since it was taken is an edit, the report's next version; a post that was
taken and is gone from the range of ids the page shows is a deletion, and its report is withdrawn;
media-only and service posts are skipped and counted, once each. When the newest page does not
reach down to the last post read (a backfill from a post id or a date, or a channel that posted
more than a page since the last poll), the poll walks back page by page (`?before=<id>`), at most
`max_pages` per poll, saving its place after every page; the last post read moves up only when the
walk is done. A 429 or a flood wait (or any error) stops the poll where it is, and the channel waits
its interval doubled per consecutive error, at least what Telegram asked for, up to a cap; the next
poll resumes the walk from the saved place, so nothing is lost and nothing is taken twice."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError

from services.ingestion.adapters.channel_store import PostRecord, SqlChannelStore
from services.ingestion.handlers import Outbox, Publisher, withdraw_many
from services.ingestion.sources.polling import backoff_s, run_schedule
from services.ingestion.sources.preview import NotAPreview, PreviewPage, PreviewPost, parse_preview
from services.ingestion.sources.telegram import PostTaker, TelegramPost
from shared.http import describe_validation

log = logging.getLogger(__name__)
_FLOOD = re.compile(r"FLOOD_WAIT_(\d+)|retry after (\d+)", re.IGNORECASE)


class FloodWait(Exception):
    """Telegram asked us to slow down (HTTP 429, or a FLOOD_WAIT answer)."""

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"flood wait: Telegram asked to wait {retry_after_s:g} s")


@dataclass
class ChannelPoll:
    status: str = "ok"  # ok | flood_wait | error
    pages: int = 0
    accepted: int = 0
    edited: int = 0
    duplicate: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped_media: int = 0
    skipped_service: int = 0
    failed: int = 0
    backfilling: bool = False
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.status != "ok":
            return f"{self.status}: {self.errors[-1] if self.errors else 'unknown'} (after {self.pages} pages)"
        more = "; more pages to read" if self.backfilling else ""
        return (f"ok: {self.pages} pages, {self.accepted} new, {self.edited} edited, {self.deleted} deleted, "
                f"{self.skipped_media + self.skipped_service} skipped{more}")


class ChannelFollower:
    def __init__(self, *, store: SqlChannelStore, posts: PostTaker, outbox: Outbox, publisher: Publisher,
                 http: httpx.AsyncClient, base_url: str, default_interval_s: float, max_backoff_s: float,
                 max_pages: int, page_delay_s: float, max_bytes: int) -> None:
        self.store, self.posts, self.outbox, self.publisher, self.http = store, posts, outbox, publisher, http
        self.base_url = base_url.rstrip("/")
        self.default_interval_s, self.max_backoff_s = default_interval_s, max_backoff_s
        self.max_pages, self.page_delay_s, self.max_bytes = max_pages, page_delay_s, max_bytes
        self.wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def interval(self, channel: dict[str, Any]) -> float:
        return float(channel.get("interval_s") or self.default_interval_s)

    def page_url(self, name: str, before: int | None = None) -> str:
        return f"{self.base_url}/s/{name}" + (f"?before={before}" if before else "")

    async def run(self) -> None:
        await run_schedule(self.store, self.poll, self.wake, "channel")

    async def poll(self, channel: dict[str, Any]) -> ChannelPoll:
        """Read the channel now: its newest page, then older pages while a walk is under way. Saves
        its place after every page and records the outcome and the next poll time."""
        async with self._lock:  # one poll at a time: the scheduler and "poll now" never overlap
            channel = await self.store.get(channel["id"]) or channel  # as the last poll left it
            state, result, now = dict(channel), ChannelPoll(), datetime.now(UTC)
            retry_after = 0.0
            try:
                await self._read(state, result)
            except FloodWait as err:
                result.status, retry_after = "flood_wait", err.retry_after_s
                result.errors.append(str(err))
            except Exception as err:  # noqa: BLE001 - one channel's failure only delays that channel
                result.status = "error"
                result.errors.append(_reason(err))
            result.backfilling = state.get("cursor") is not None
            counts = {k: int(channel.get(k) or 0) + getattr(result, n) for k, n in (
                ("taken", "accepted"), ("edited", "edited"), ("deleted", "deleted"),
                ("skipped_media", "skipped_media"), ("skipped_service", "skipped_service"))}
            if result.status == "ok":
                wait = 0.0 if result.backfilling else self.interval(channel)
                errors, last_error = 0, "; ".join(result.errors[:3]) or None
                log.info("channel polled", extra={"channel": channel["name"], "result": result.describe()})
            else:
                errors, last_error = int(channel.get("error_count") or 0) + 1, result.errors[-1]
                wait = backoff_s(self.interval(channel), errors, self.max_backoff_s, retry_after)
                log.warning("channel poll failed", extra={"channel": channel["name"], "error": last_error,
                                                          "errors": errors, "retry_in_s": wait})
            await self.store.record_poll(channel["id"], error_count=errors, last_error=last_error,
                                         last_status=result.describe(), last_polled_at=now,
                                         next_poll_at=now + timedelta(seconds=wait), **counts)
            return result

    async def _read(self, state: dict[str, Any], result: ChannelPoll) -> None:
        if state.get("cursor") is None:
            page = await self._fetch(state, None, result)
            await self._take_page(state, page, None, result)
            top = max(page.ids, default=None)
            if self._walk_needed(state, page):
                state.update(cursor=page.before, walk_top=top)
            elif top is not None:
                state["last_post_id"] = max(top, state.get("last_post_id") or top)
            await self._save(state)
        while state.get("cursor") is not None and result.pages <= self.max_pages:
            if self.page_delay_s:
                await asyncio.sleep(self.page_delay_s)
            before = state["cursor"]
            page = await self._fetch(state, before, result)
            await self._take_page(state, page, before, result)
            if self._walk_needed(state, page):
                state["cursor"] = page.before
            else:
                tops = [x for x in (state.get("walk_top"), state.get("last_post_id")) if x is not None]
                state.update(cursor=None, walk_top=None, last_post_id=max(tops) if tops else None)
            await self._save(state)

    def _walk_needed(self, state: dict[str, Any], page: PreviewPage) -> bool:
        """Whether older pages than this one hold posts still to read."""
        if not page.posts or page.before is None:
            return False
        floor, since = state.get("last_post_id"), state.get("backfill_from_date")
        if floor is not None:
            return min(page.ids) > floor + 1
        if since is not None:
            oldest = min((p.date for p in page.posts if p.date is not None), default=None)
            return oldest is not None and oldest >= since
        return False

    async def _fetch(self, state: dict[str, Any], before: int | None, result: ChannelPoll) -> PreviewPage:
        url = self.page_url(state["name"], before)
        resp = await self.http.get(url, follow_redirects=True)
        if resp.status_code == 429 or (resp.status_code >= 400 and _FLOOD.search(resp.text[:2000])):
            raise FloodWait(_retry_after(resp))
        if resp.status_code >= 400:
            raise RuntimeError(f"{url} answered HTTP {resp.status_code}")
        if len(resp.content) > self.max_bytes:
            raise RuntimeError(f"{url} is larger than {self.max_bytes} bytes")
        page = await asyncio.to_thread(parse_preview, resp.content)
        result.pages += 1
        if page.title:
            state["title"] = page.title
        return page

    async def _take_page(self, state: dict[str, Any], page: PreviewPage, before: int | None,
                         result: ChannelPoll) -> None:
        """Take what is new or edited on the page, count what is skipped, withdraw what is gone."""
        if not page.posts:
            return
        low = min(page.ids)
        high = before - 1 if before is not None else None  # the newest page shows everything above `low`
        known = await self.store.posts(state["id"], low, high)
        records: list[PostRecord] = []
        for post in page.posts:
            if not self._in_scope(state, post, known):
                continue
            record = await self._take_post(state, page, post, known.get(post.id), result)
            if record is not None:
                records.append(record)
        shown = set(page.ids)
        gone = [r for pid, r in known.items() if pid not in shown and r.state == "taken" and r.article_id]
        if gone:
            withdrawn = set(await withdraw_many([r.article_id or "" for r in gone], outbox=self.outbox,
                                                publisher=self.publisher))
            result.deleted += len(gone)
            records += [PostRecord(r.post_id, r.fingerprint, r.kind, "withdrawn", r.article_id) for r in gone]
            log.info("posts deleted from the channel", extra={
                "channel": state["name"], "posts": [r.post_id for r in gone], "withdrawn": sorted(withdrawn)})
        await self.store.remember(state["id"], records)

    @staticmethod
    def _in_scope(state: dict[str, Any], post: PreviewPost, known: dict[int, PostRecord]) -> bool:
        """Posts read before, and posts after where following began (the backfill's start)."""
        if post.id in known:
            return True
        floor, since = state.get("last_post_id"), state.get("backfill_from_date")
        if floor is not None:
            return post.id > floor
        return since is None or (post.date is not None and post.date >= since)

    async def _take_post(self, state: dict[str, Any], page: PreviewPage, post: PreviewPost,
                         seen: PostRecord | None, result: ChannelPoll) -> PostRecord | None:
        fingerprint = hashlib.sha256(post.text.encode("utf-8")).hexdigest()
        if post.kind != "text":
            if seen is not None:
                return None
            setattr(result, f"skipped_{post.kind}", getattr(result, f"skipped_{post.kind}") + 1)
            return PostRecord(post.id, fingerprint, post.kind, "skipped")
        if seen is not None and seen.fingerprint == fingerprint and seen.state == "taken":
            result.unchanged += 1
            return None
        edit = seen is not None and seen.state == "taken"
        # The preview gives no edit time: an edit (or a post back after a deletion) is stamped when
        # we see it, which is never before it happened, so a later import of an older export of the
        # post (with its true edit time) cannot roll it back, and a newer one still wins.
        telegram = TelegramPost(channel=state["name"], message_id=post.id, text=post.text, date=post.date,
                                edited=datetime.now(UTC) if seen is not None else None, author=post.author,
                                channel_title=page.title or state.get("title"), forwarded_from=post.forwarded_from)
        try:
            outcome = await self.posts.take(telegram, telegram.to_article())
        except (ValidationError, ValueError) as err:
            result.failed += 1
            result.errors.append(f"post {post.id}: {_reason(err)}")
            return None
        if outcome.status == "accepted":
            if edit:
                result.edited += 1
            else:
                result.accepted += 1
        else:
            result.duplicate += 1
        # A duplicate of another report (the same text posted again) is not this post's report.
        own = outcome.id if outcome.id == f"telegram:{state['name']}:{post.id}" else None
        return PostRecord(post.id, fingerprint, "text", "taken", own)

    async def _save(self, state: dict[str, Any]) -> None:
        await self.store.record_poll(state["id"], **{k: state.get(k) for k in (
            "last_post_id", "cursor", "walk_top", "title")})


def _retry_after(resp: httpx.Response) -> float:
    header = resp.headers.get("retry-after", "")
    if header.strip().isdigit():
        return float(header)
    found = _FLOOD.search(resp.text[:2000]) if resp.content else None
    if found:
        return float(found.group(1) or found.group(2))
    return 0.0


def _reason(err: BaseException) -> str:
    if isinstance(err, ValidationError):
        return describe_validation(err.errors())
    if isinstance(err, NotAPreview):
        return f"not a channel preview: {err}"
    if isinstance(err, httpx.TimeoutException):
        return "timed out"
    if isinstance(err, httpx.HTTPError):
        return f"{err.__class__.__name__}: {err}"
    return str(err) or err.__class__.__name__
