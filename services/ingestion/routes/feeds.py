"""Admin API for feeds: /v1/admin/feeds (list, add, show, change, remove, poll now) with each
feed's polling state (validators, last status, next poll, error count). Every change is logged
with the name of the key that made it (`shared.auth.audit`)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.ingestion.adapters.feed_store import FeedExists
from services.ingestion.sources.feeds import FeedConfig, feed_id
from services.ingestion.sources.netguard import literal_refusal
from shared.auth import audit
from shared.http import ParameterError, problem_responses

router = APIRouter(prefix="/v1/admin/feeds", tags=["admin: feeds"])
UNKNOWN = problem_responses(404)  # no feed with that id


class FeedChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, max_length=500)
    interval_s: float | None = Field(default=None, ge=10, le=7 * 86400)
    enabled: bool | None = None

    @model_validator(mode="after")
    def _no_null_settings(self) -> FeedChange:
        """`null` for a setting the row must have (the interval, enabled) is refused, not stored."""
        nulls = [name for name in ("interval_s", "enabled")
                 if name in self.model_fields_set and getattr(self, name) is None]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave it out to keep it")
        return self


class FeedState(BaseModel):
    id: str
    url: str
    name: str | None
    source: str | None
    language: str | None
    interval_s: float
    enabled: bool
    origin: str = Field(description="api | file (the feeds file)")
    etag: str | None
    last_modified: str | None
    last_status: str | None
    last_error: str | None
    error_count: int
    last_polled_at: datetime | None
    next_poll_at: datetime
    created_at: datetime


class PollSummary(BaseModel):
    status: str
    http_status: int | None
    accepted: int
    duplicate: int
    unchanged: int
    failed: int
    errors: list[str]


def _feeds(request: Request):  # noqa: ANN202 - the SqlFeedStore on app.state
    return request.app.state.sources.feeds


async def _get(request: Request, fid: str) -> dict:
    feed = await _feeds(request).get(fid)
    if feed is None:
        raise HTTPException(status_code=404, detail=f"no feed {fid!r}")
    return feed


@router.get("", response_model=list[FeedState])
async def list_feeds(request: Request) -> list[dict]:
    return await _feeds(request).all()


@router.post("", status_code=201, response_model=FeedState, responses={
    409: {"description": "url already a feed"}, 422: {"description": "invalid body, or a private IP address"}})
async def add_feed(body: FeedConfig, request: Request) -> dict:
    """Add a feed. A URL whose host is a non-public IP literal is a 422 unless
    INGESTION_FETCH_ALLOW_PRIVATE is on; a host name is checked when the feed is fetched."""
    settings = request.app.state.settings
    refused = None if settings.ingestion_fetch_allow_private else literal_refusal(body.url)
    if refused is not None:
        raise ParameterError("url", str(refused), where="body")
    config = body.model_dump()
    config["interval_s"] = body.interval_s or settings.ingestion_feed_default_interval_s
    try:
        feed = await _feeds(request).add(feed_id(body.url), config)
    except FeedExists as err:
        raise HTTPException(status_code=409, detail=f"feed {body.url} exists already") from err
    audit(request, "feed added", feed=feed["id"], url=body.url)
    request.app.state.sources.poller.wake.set()
    return feed


@router.get("/{fid}", response_model=FeedState, responses=UNKNOWN)
async def show_feed(fid: str, request: Request) -> dict:
    return await _get(request, fid)


@router.patch("/{fid}", response_model=FeedState, responses=UNKNOWN)
async def change_feed(fid: str, body: FeedChange, request: Request) -> dict:
    await _get(request, fid)
    changes = body.model_dump(exclude_unset=True)
    feed = await _feeds(request).change(fid, changes)
    audit(request, "feed changed", feed=fid, changes=changes)
    request.app.state.sources.poller.wake.set()
    return feed


@router.delete("/{fid}", status_code=204, responses=UNKNOWN)
async def remove_feed(fid: str, request: Request) -> Response:
    if not await _feeds(request).remove(fid):
        raise HTTPException(status_code=404, detail=f"no feed {fid!r}")
    audit(request, "feed removed", feed=fid)
    return Response(status_code=204)


@router.post("/{fid}/poll", response_model=PollSummary, responses=UNKNOWN)
async def poll_feed(fid: str, request: Request) -> PollSummary:
    """Poll the feed now (outside its schedule) and say what came of it."""
    feed = await _get(request, fid)
    audit(request, "feed polled", feed=fid)
    result = await request.app.state.sources.poller.poll(feed)
    return PollSummary(status=result.status, http_status=result.http_status, accepted=result.accepted,
                       duplicate=result.duplicate, unchanged=result.unchanged, failed=result.failed,
                       errors=result.errors)
