"""GET /v1/stream: new events as Server-Sent Events, under the filters of GET /v1/events."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from services.gateway.api.deps import SettingsDep
from services.gateway.api.params import FilterDep
from services.gateway.filters import EventFilter
from services.gateway.live import (
    BadCursor,
    Cursor,
    CursorTooOld,
    LiveFeed,
    Update,
    accepts,
    format_cursor,
    parse_cursor,
)
from services.gateway.metrics import StreamMetrics
from shared.http import ParameterError, ProblemError, problem_responses

router = APIRouter(prefix="/v1/stream", tags=["stream"])


async def live_feed(request: Request) -> LiveFeed:
    feed: LiveFeed | None = getattr(request.app.state, "live", None)
    if feed is None or not feed.ready:
        raise ProblemError(503, "the live stream is not available: the event topic cannot be read right now",
                           headers={"Retry-After": "5"})
    return feed


async def resume_cursor(last_event_id: Annotated[str | None, Header(
        description="the id of the last message received; the stream resumes after it")] = None) -> Cursor | None:
    if last_event_id is None or not last_event_id.strip():
        return None
    try:
        return parse_cursor(last_event_id)
    except BadCursor as err:
        raise ParameterError("Last-Event-ID", str(err), where="header") from None


@router.get("", response_class=EventSourceResponse, responses=problem_responses(401, 403, 422, 429, 503))
async def stream_events(
    request: Request,
    settings: SettingsDep,
    feed: Annotated[LiveFeed, Depends(live_feed)],
    flt: FilterDep,
    resume: Annotated[Cursor | None, Depends(resume_cursor)],
) -> AsyncIterator[ServerSentEvent]:
    """Each message `events` carries one article's events that pass the filters, as
    `{"article_id", "events": [...]}`; it replaces what an earlier message said about that article
    (an empty list withdraws it). Ids are positions in the event topic: reconnect with
    `Last-Event-ID` to get exactly what was missed. `reset` means the id cannot be resumed
    (re-query GET /v1/events). Comments keep the connection alive."""
    metrics: StreamMetrics = request.app.state.stream_metrics
    async for message in metrics.counted(client_stream(feed, flt, resume, settings.gateway_stream_keepalive_s)):
        yield message


async def client_stream(feed: LiveFeed, flt: EventFilter, resume: Cursor | None,
                        keepalive_s: float) -> AsyncGenerator[ServerSentEvent]:
    """One client's SSE messages: `events` (an article's matching events, replacing what it sent
    for that article before; an empty list withdraws them), `reset` (the id cannot be resumed:
    re-query /v1/events), and keep-alive comments that carry the cursor so a client whose filter
    matched nothing lately still resumes from where it was."""
    sub = feed.subscribe()
    sent: set[str] = set()  # articles this client holds events of
    live_from = format_cursor(sub.start)
    try:
        # A new client gets its starting point at once; a resuming one keeps its own until replayed.
        yield ServerSentEvent(comment="live", id=None if resume else live_from, retry=2000)
        last_sent = None if resume else live_from
        if resume is not None:
            try:
                async for update in feed.replay(resume, sub.start):
                    message = _message(update, flt, sent)
                    if message is not None:
                        last_sent = update.cursor
                        yield message
            except CursorTooOld as err:
                yield ServerSentEvent(event="reset", data={"reason": str(err)}, id=live_from)
                last_sent = live_from
        cursor_id = live_from
        while True:
            if sub.overflowed and sub.queue.empty():  # too slow: catch up from the topic instead
                feed.unsubscribe(sub)
                behind = parse_cursor(cursor_id)
                sub = feed.subscribe()
                async for update in feed.replay(behind, sub.start):
                    cursor_id = update.cursor
                    message = _message(update, flt, sent)
                    if message is not None:
                        last_sent = cursor_id
                        yield message
                cursor_id = format_cursor(sub.start)
                continue
            try:
                update = await asyncio.wait_for(sub.queue.get(), keepalive_s)
            except TimeoutError:
                yield ServerSentEvent(comment="keep-alive", id=cursor_id if cursor_id != last_sent else None)
                last_sent = cursor_id
                continue
            cursor_id = update.cursor
            message = _message(update, flt, sent)
            if message is not None:
                last_sent = cursor_id
                yield message
    finally:
        feed.unsubscribe(sub)


def _message(update: Update, flt: EventFilter, sent: set[str]) -> ServerSentEvent | None:
    now = datetime.now(UTC)
    events = [e.model_dump(mode="json") for e in update.events if accepts(flt, e, now)]
    if not events and update.article_id not in sent:
        return None
    (sent.add if events else sent.discard)(update.article_id)
    return ServerSentEvent(event="events", id=update.cursor,
                           data={"article_id": update.article_id, "events": events})
