"""Extraction's settings."""
from __future__ import annotations

from pydantic import Field

from shared.config import GazetteerSettings


class ExtractionSettings(GazetteerSettings):
    service_name: str = "extraction"
    ops_port: int | None = 9102
    extraction_use_gazetteer: bool = Field(
        default=True, description="use the gazetteer's names to spot bare place names (\"in Kursk\") as well as "
        "described ones")
