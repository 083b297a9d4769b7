"""Events and incidents as GeoJSON (RFC 7946: a FeatureCollection of Points in lon,lat order; events without
coordinates get a null geometry) and as CSV rows (one row per event, flat columns, evidence joined
into one cell; one row per incident, its claims counted)."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

GEOJSON_MEDIA_TYPE = "application/geo+json"
CSV_COLUMNS = ("id", "article_id", "type", "weapon", "count", "killed", "injured", "damage", "claimed_by",
               "occurred_start", "occurred_end", "occurred_precision", "occurred_text", "published_at", "source",
               "country_code", "admin1_code", "admin1", "admin2", "city", "street", "place", "mention",
               "lat", "lon", "precision", "confidence", "evidence")


def page_json(bodies: list[str], next_cursor: str | None) -> bytes:
    """{"items": [...], "next_cursor"} from the events' stored JSON texts, without parsing them."""
    return ('{"items":[' + ",".join(bodies) + '],"next_cursor":' + json.dumps(next_cursor) + "}").encode()


def feature_collection_json(rows: list[Any], next_cursor: str | None) -> bytes:
    """The FeatureCollection of rows with `id`, `lat`, `lon` and the stored JSON `body`, unparsed.
    `next_cursor` is a foreign member (RFC 7946 section 6.1): GeoJSON readers ignore it."""
    parts = []
    for r in rows:
        geometry = (f'{{"type":"Point","coordinates":[{json.dumps(r.lon)},{json.dumps(r.lat)}]}}'
                    if r.lat is not None and r.lon is not None else "null")
        parts.append(f'{{"type":"Feature","id":{json.dumps(r.id)},"geometry":{geometry},"properties":{r.body}}}')
    return ('{"type":"FeatureCollection","features":[' + ",".join(parts) + '],"next_cursor":'
            + json.dumps(next_cursor) + "}").encode()


def csv_row(event: dict[str, Any]) -> list[Any]:
    loc = event.get("location") or {}
    occurred = event.get("occurred_at") or {}
    evidence = " | ".join(f"{e.get('field')}: {e.get('text')}" for e in event.get("evidence") or [])
    values = [event.get("id"), event.get("article_id"), event.get("type"), event.get("weapon"), event.get("count"),
              event.get("killed"), event.get("injured"), event.get("damage"), event.get("claimed_by"),
              occurred.get("start"), occurred.get("end"), occurred.get("precision"), occurred.get("text"),
              event.get("published_at"), event.get("source"), loc.get("country_code"), loc.get("admin1_code"),
              loc.get("admin1"), loc.get("admin2"), loc.get("city"), loc.get("street"), loc.get("name"),
              loc.get("mention"), loc.get("lat"), loc.get("lon"), loc.get("precision"), loc.get("confidence"),
              evidence]
    return [_safe_cell(v) for v in values]


def _safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


INCIDENT_CSV_COLUMNS = ("id", "status", "merged_into", "version", "type", "weapon", "count", "count_min",
                        "count_max", "killed", "injured", "damage", "sources", "claim_count", "first_reported_at",
                        "last_reported_at", "occurred_start", "occurred_end", "country_code", "admin1_code", "admin1",
                        "admin2", "city", "place", "lat", "lon", "precision")


def incident_csv_row(incident: dict[str, Any]) -> list[Any]:
    loc = incident.get("location") or {}
    occurred = incident.get("occurred_at") or {}
    count_range = incident.get("count_range") or (None, None)
    values = [incident.get("id"), incident.get("status"), incident.get("merged_into"), incident.get("version"),
              incident.get("type"), incident.get("weapon"), incident.get("count"), count_range[0], count_range[1],
              incident.get("killed"), incident.get("injured"), incident.get("damage"), incident.get("sources"),
              incident.get("claim_count"), incident.get("first_reported_at"), incident.get("last_reported_at"),
              occurred.get("start"), occurred.get("end"), loc.get("country_code"), loc.get("admin1_code"),
              loc.get("admin1"), loc.get("admin2"), loc.get("city"), loc.get("name"), loc.get("lat"), loc.get("lon"),
              loc.get("precision")]
    return [_safe_cell(v) for v in values]


def csv_chunks(events: Iterable[dict[str, Any]], rows_per_chunk: int = 500, *,
               columns: tuple[str, ...] = CSV_COLUMNS,
               row: Callable[[dict[str, Any]], list[Any]] = csv_row) -> Iterator[str]:
    """The header, then the rows (events by default; incidents with their `columns` and `row`),
    yielded a few hundred rows at a time."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    n = 0
    for event in events:
        writer.writerow(row(event))
        n += 1
        if n % rows_per_chunk == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
