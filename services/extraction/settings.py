"""Extraction's settings."""
from __future__ import annotations

from shared.config import GazetteerSettings


class ExtractionSettings(GazetteerSettings):
    service_name: str = "extraction"
    # Use the gazetteer's names to spot bare place names ("in Kursk") as well as described ones.
    extraction_use_gazetteer: bool = True
