"""GET /v1/stream: new events and incident changes as Server-Sent Events, under the filters of GET
/v1/events (and, for incidents, of GET /v1/incidents)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from services.gateway.api.deps import SettingsDep
from services.gateway.api.params import IncidentFilterDep, comma_list
from services.gateway.filters import IncidentFilter, accepts_incident
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
from shared.store.incident_body import public_incident

Kind = Literal["events", "incidents"]
KINDS: tuple[Kind, ...] = ("events", "incidents")

router = APIRouter(prefix="/v1/stream", tags=["stream"])


async def live_feed(request: Request) -> LiveFeed:
    feed: LiveFeed | None = getattr(request.app.state, "live", None)
    if feed is None or not feed.ready:
        raise ProblemError(503, "the live stream is not available: its topics cannot be read right now",
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
    flt: IncidentFilterDep,
    resume: Annotated[Cursor | None, Depends(resume_cursor)],
    kinds: Annotated[str | None, Query(description="events, incidents or both, comma-separated (default: "
                                                   "both)")] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Each message `events` carries one article's events that pass the filters, as
    `{"article_id", "events": [...]}`; it replaces what an earlier message said about that article
    (an empty list withdraws it). Each message `incident` carries an incident's new state (with its
    claims) as `{"id", "matches", "incident"}`: it comes when the incident passes the filters
    (`min_sources` and `status`, default active, as GET /v1/incidents), and with `matches: false`
    when one this client was sent no longer does (moved away, below `min_sources`), and for every
    retraction and merge that does not match (the client may hold the incident from GET
    /v1/incidents): drop it then. Ids are positions in the topics: reconnect with `Last-Event-ID` to get exactly
    what was missed. `reset` means the id cannot be resumed (re-query GET /v1/events and
    /v1/incidents). Comments keep the connection alive."""
    metrics: StreamMetrics = request.app.state.stream_metrics
    wanted = comma_list("kinds", kinds, KINDS) if kinds else KINDS
    messages = client_stream(feed, flt, resume, settings.gateway_stream_keepalive_s, kinds=frozenset(wanted))
    async for message in metrics.counted(messages):
        yield message


async def client_stream(feed: LiveFeed, flt: IncidentFilter | None, resume: Cursor | None, keepalive_s: float,
                        kinds: frozenset[str] = frozenset(KINDS)) -> AsyncGenerator[ServerSentEvent]:
    """One client's SSE messages: `events` (an article's matching events, replacing what it sent
    for that article before; an empty list withdraws them), `reset` (the id cannot be resumed:
    re-query /v1/events), `incident` (an incident's change), and keep-alive comments that carry the
    cursor so a client whose filter matched nothing lately still resumes from where it was."""
    flt = flt if flt is not None else IncidentFilter()
    if not isinstance(flt, IncidentFilter):  # the event filters alone: incidents of any status they match
        flt = IncidentFilter(**vars(flt), statuses=())
    sub = feed.subscribe()
    sent = _Client(flt, kinds)
    live_from = format_cursor(sub.start)
    try:
        # A new client gets its starting point at once; a resuming one keeps its own until replayed.
        yield ServerSentEvent(comment="live", id=None if resume else live_from, retry=2000)
        last_sent = None if resume else live_from
        if resume is not None:
            try:
                async for update in feed.replay(resume, sub.start):
                    message = sent.message(update)
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
                    message = sent.message(update)
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
            message = sent.message(update)
            if message is not None:
                last_sent = cursor_id
                yield message
    finally:
        feed.unsubscribe(sub)


@dataclass
class _Client:
    """One client's filters and what it holds: the articles it was sent events of, the incidents it
    was sent as matching."""

    flt: IncidentFilter
    kinds: frozenset[str]
    articles: set[str] = field(default_factory=set)
    incidents: set[str] = field(default_factory=set)

    def message(self, update: Update) -> ServerSentEvent | None:
        now = datetime.now(UTC)
        if update.incident is not None:
            return self._incident(update, now) if "incidents" in self.kinds else None
        if "events" not in self.kinds or update.article_id is None:
            return None
        events_flt = self.flt.events()
        events = [e.model_dump(mode="json") for e in update.events if accepts(events_flt, e, now)]
        if not events and update.article_id not in self.articles:
            return None
        (self.articles.add if events else self.articles.discard)(update.article_id)
        return ServerSentEvent(event="events", id=update.cursor,
                               data={"article_id": update.article_id, "events": events})

    def _incident(self, update: Update, now: datetime) -> ServerSentEvent | None:
        inc = update.incident
        assert inc is not None
        matches = accepts_incident(self.flt, inc, now)
        # An incident this client may hold without this stream having sent it (it read it from GET
        # /v1/incidents) must still go when it is retracted or merged: those always come.
        if not matches and inc.id not in self.incidents and inc.change not in ("retracted", "merged"):
            return None
        (self.incidents.add if matches else self.incidents.discard)(inc.id)
        return ServerSentEvent(event="incident", id=update.cursor,
                               data={"id": inc.id, "matches": matches, "incident": public_incident(inc, claims=True)})
