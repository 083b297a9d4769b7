"""Admin API for followed Telegram channels: /v1/admin/channels (list, add, show, change, remove,
poll now) with each channel's following state (last post read, backfill cursor, last poll, last
error, counts) and what the channel registry says of it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.ingestion.adapters.channel_store import ChannelExists
from services.ingestion.sources.channel_config import MAX_POST_ID, ChannelConfig, backfill_state, channel_id
from services.ingestion.sources.channels import ChannelPoll
from shared.http import problem_responses

router = APIRouter(prefix="/v1/admin/channels", tags=["admin: channels"])
UNKNOWN = problem_responses(404)  # no channel with that name


class ChannelChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    interval_s: float | None = Field(default=None, ge=10, le=7 * 86400)
    enabled: bool | None = None
    backfill_from_id: int | None = Field(default=None, ge=1, le=MAX_POST_ID,
                                         description="(re)start a backfill from this post")
    backfill_from_date: datetime | None = Field(default=None, description="(re)start a backfill from this time")

    @model_validator(mode="after")
    def _no_null_settings(self) -> ChannelChange:
        """`null` for a setting the row must have (the interval, enabled) is refused, not stored."""
        nulls = [name for name in ("interval_s", "enabled")
                 if name in self.model_fields_set and getattr(self, name) is None]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave it out to keep it")
        return self


class ChannelState(BaseModel):
    id: str
    name: str
    title: str | None
    interval_s: float
    enabled: bool
    origin: str = Field(description="api | file (the channels file)")
    backfill_from_id: int | None
    backfill_from_date: datetime | None
    last_post_id: int | None = Field(description="every post up to this one (from the start) has been read")
    cursor: int | None = Field(description="while backfilling: the next older page to read (?before=)")
    backfilling: bool
    taken: int
    edited: int
    deleted: int
    skipped_media: int
    skipped_service: int
    last_status: str | None
    last_error: str | None
    error_count: int
    last_polled_at: datetime | None
    next_poll_at: datetime
    created_at: datetime
    owner: str | None = Field(default=None, description="from the channel registry")
    role: str | None = None
    region: str | None = None


class PollSummary(BaseModel):
    status: str = Field(description="ok | flood_wait | error")
    pages: int
    accepted: int
    edited: int
    duplicate: int
    unchanged: int
    deleted: int
    skipped_media: int
    skipped_service: int
    failed: int
    backfilling: bool
    errors: list[str]


def _sources(request: Request) -> Any:
    return request.app.state.sources


def _state(request: Request, row: dict[str, Any]) -> dict[str, Any]:
    entry = _sources(request).registry.get(row["name"])
    return {**row, "backfilling": row.get("cursor") is not None, "owner": entry.owner if entry else None,
            "role": entry.role if entry else None, "region": entry.region if entry else None}


async def _get(request: Request, cid: str) -> dict[str, Any]:
    row = await _sources(request).channels.get(channel_id(cid))
    if row is None:
        raise HTTPException(status_code=404, detail=f"no channel {cid!r}")
    return row


@router.get("", response_model=list[ChannelState])
async def list_channels(request: Request) -> list[dict[str, Any]]:
    return [_state(request, row) for row in await _sources(request).channels.all()]


@router.post("", status_code=201, response_model=ChannelState, responses={
    409: {"description": "channel followed already"}, 422: {"description": "invalid body"}})
async def add_channel(body: ChannelConfig, request: Request) -> dict[str, Any]:
    """Follow a channel: from its newest page on, or from `backfill_from_id` / `backfill_from_date`
    (older pages are then read page by page before it is followed live)."""
    config = body.model_dump()
    config["interval_s"] = body.interval_s or request.app.state.settings.ingestion_channel_default_interval_s
    try:
        row = await _sources(request).channels.add(channel_id(body.name), config, **backfill_state(body))
    except ChannelExists as err:
        raise HTTPException(status_code=409, detail=f"channel {body.name} is followed already") from err
    _sources(request).follower.wake.set()
    return _state(request, row)


@router.get("/{cid}", response_model=ChannelState, responses=UNKNOWN)
async def show_channel(cid: str, request: Request) -> dict[str, Any]:
    return _state(request, await _get(request, cid))


@router.patch("/{cid}", response_model=ChannelState, responses=UNKNOWN)
async def change_channel(cid: str, body: ChannelChange, request: Request) -> dict[str, Any]:
    """Change the interval, pause or resume, or (re)start a backfill from a post id or a date."""
    row = await _get(request, cid)
    changes = body.model_dump(exclude_unset=True)
    store = _sources(request).channels
    backfill = {k: changes.pop(k) for k in ("backfill_from_id", "backfill_from_date") if k in changes}
    if backfill:
        config = ChannelConfig(name=row["name"], **backfill)
        await store.record_poll(row["id"], **backfill_state(config))
        changes["enabled"] = changes.get("enabled", row["enabled"])
    updated = await store.change(row["id"], changes)
    _sources(request).follower.wake.set()
    return _state(request, updated or row)


@router.delete("/{cid}", status_code=204, responses=UNKNOWN)
async def remove_channel(cid: str, request: Request) -> Response:
    """Stop following the channel (its reports stay)."""
    if not await _sources(request).channels.remove(channel_id(cid)):
        raise HTTPException(status_code=404, detail=f"no channel {cid!r}")
    return Response(status_code=204)


@router.post("/{cid}/poll", response_model=PollSummary, responses=UNKNOWN)
async def poll_channel(cid: str, request: Request) -> ChannelPoll:
    """Poll the channel now (outside its schedule) and say what came of it."""
    return await _sources(request).follower.poll(await _get(request, cid))
