"""Export every topic's message model as JSON Schema (deploy/schemas/<topic>.json). Subscribers
read these; a diff in that folder is an API change."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.topics import ALL_TOPICS


def schema_documents() -> dict[str, dict[str, Any]]:
    out = {}
    for topic in ALL_TOPICS:
        if topic.model is None:
            continue
        schema = topic.model.model_json_schema(mode="serialization")
        schema["$id"] = f"dronewatch:{topic.name}"
        schema["description"] = topic.description
        out[f"{topic.name}.json"] = schema
    return out


def export_schemas(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schema_documents().items():
        path = out_dir / name
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
