"""The channel registry: who speaks in each Telegram channel, and for where. An operator describes
each channel in a YAML or JSON file (`INGESTION_CHANNEL_REGISTRY_FILE`; the starter file
`channel_registry.yaml` beside this module by default): its owner's name and role, and the region it
speaks for (ISO 3166-2, or ISO 3166-1 for a whole country). Every Telegram post that ingestion takes,
followed, posted or imported, carries what the registry says of its channel (`SourceContext`):
extraction names the owner as the claimant where the text names none, geocoding reads the region as
the report's context."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.http import describe_validation
from shared.messages import SourceContext

STARTER = Path(__file__).with_name("channel_registry.yaml")


class ChannelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(pattern=r"^@?[A-Za-z0-9_]{4,64}$", description="username, as in t.me/<channel>")
    owner: str | None = Field(default=None, max_length=300, description="who speaks: 'Governor Vasily Anokhin'")
    role: str | None = Field(default=None, max_length=200, description="'regional governor', 'air force'")
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
                               description="ISO 3166-2 (RU-SMO), or ISO 3166-1 (UA) for a whole country")

    @field_validator("channel")
    @classmethod
    def _bare(cls, value: str) -> str:
        return value.removeprefix("@")


class ChannelRegistry:
    def __init__(self, entries: Iterable[ChannelEntry] = ()) -> None:
        self._by_name = {e.channel.lower(): e for e in entries}

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, channel: str | None) -> ChannelEntry | None:
        return self._by_name.get(channel.removeprefix("@").lower()) if channel else None

    def context(self, channel: str, forwarded_from: str | None = None) -> SourceContext:
        """Who speaks in a post of `channel`: its owner, role and region. A forwarded post speaks
        with the voice of the channel it came from (that channel's owner and role, when the registry
        knows it, else none), for that channel's region, else for this one's."""
        own, origin = self.get(channel), self.get(forwarded_from)
        speaker = origin if forwarded_from else own
        region = (origin.region if origin else None) or (own.region if own else None)
        return SourceContext(channel=channel, owner=speaker.owner if speaker else None,
                             role=speaker.role if speaker else None, region=region, forwarded_from=forwarded_from)


def load_registry(path: Path | None) -> ChannelRegistry:
    """A YAML or JSON file: a list of entries, or the same under `channels:`. Raises ValueError
    saying which entry is wrong."""
    path = path or STARTER
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(data, dict):
        data = data.get("channels", [])
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of channels (or a 'channels' key holding one)")
    entries = []
    for n, item in enumerate(data, 1):
        try:
            entries.append(ChannelEntry.model_validate(item))
        except ValidationError as err:
            raise ValueError(f"{path}: channel {n}: {describe_validation(err.errors())}") from err
    return ChannelRegistry(entries)
