"""A followed Telegram channel's configuration, as the channels file and the admin API give it,
and the following state a (re)started backfill begins from."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.http import describe_validation

# The largest post id the channel store's integer columns hold on every database (PostgreSQL's
# INTEGER); Telegram's post ids are far below it. A larger one is a 422, not a failed write.
MAX_POST_ID = 2**31 - 1


class ChannelConfig(BaseModel):
    """A channel as configured in the channels file or through the admin API."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^@?[A-Za-z0-9_]{4,64}$", description="the username, as in t.me/<name>")
    interval_s: float | None = Field(default=None, ge=10, le=7 * 86400, description="poll interval")
    enabled: bool = True
    backfill_from_id: int | None = Field(default=None, ge=1, le=MAX_POST_ID,
                                         description="read the channel from this post on")
    backfill_from_date: datetime | None = Field(default=None, description="read the channel from this time on")

    @field_validator("name")
    @classmethod
    def _bare(cls, value: str) -> str:
        return value.removeprefix("@")

    @field_validator("backfill_from_date")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def channel_id(name: str) -> str:
    return name.removeprefix("@").lower()


def backfill_state(config: ChannelConfig) -> dict[str, Any]:
    """The following state a (re)started backfill begins from: from a post id, everything after the
    post before it is still to read; from a date, everything back to that date."""
    return {"backfill_from_id": config.backfill_from_id, "backfill_from_date": config.backfill_from_date,
            "last_post_id": config.backfill_from_id - 1 if config.backfill_from_id else None,
            "cursor": None, "walk_top": None}


def load_channels_file(path: Path) -> list[ChannelConfig]:
    """A YAML or JSON file: a list of channels, or {"channels": [...]}; each a name or an object."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(data, dict):
        data = data.get("channels", [])
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of channels (or a 'channels' key holding one)")
    out = []
    for n, item in enumerate(data, 1):
        try:
            out.append(ChannelConfig.model_validate({"name": item} if isinstance(item, str) else item))
        except ValidationError as err:
            raise ValueError(f"{path}: channel {n}: {describe_validation(err.errors())}") from err
    return out
