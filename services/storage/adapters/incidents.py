"""Incidents into the store: the rows of one `incidents.v1` message, and writing a batch of them.

The store keeps the highest version of each incident id: a message whose version is not above the
stored one (a redelivery, or an older state arriving late) changes nothing. A newer version
rewrites the incident's row (its `seq` and `stored_at` stay, so storage-order pages stay stable)
and replaces its claims.

`body` is the public incident without its claims (shared/store/incident_body.py); each claim's
body is the message's claim as it is."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from shared.messages.incidents import Incident
from shared.store.incident_body import public_incident
from shared.store.tables import incident_claims, incidents


def incident_row(inc: Incident, now: datetime) -> dict[str, Any]:
    loc, occurred = inc.location, inc.occurred_at
    return {
        "id": inc.id, "version": inc.version, "status": inc.status, "merged_into": inc.merged_into,
        "type": inc.type, "weapon": inc.weapon, "count": _int(inc.count.value), "killed": _int(inc.killed.value),
        "injured": _int(inc.injured.value), "damage": _bool(inc.damage.value), "sources": inc.sources,
        "country_code": loc.country_code, "admin1_code": loc.admin1_code, "admin2": loc.admin2,
        "precision": loc.precision, "lat": loc.lat, "lon": loc.lon,
        "occurred_start": occurred.start if occurred else None, "occurred_end": occurred.end if occurred else None,
        "first_reported_at": inc.first_reported_at, "last_reported_at": inc.last_reported_at,
        "stored_at": now, "updated_at": now, "body": public_incident(inc),
    }


def claim_rows(inc: Incident) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for position, claim in enumerate(inc.claims):  # a claim repeated in one message counts once
        rows.setdefault(claim.event_id, {
            "incident_id": inc.id, "event_id": claim.event_id, "article_id": claim.article_id,
            "claimed_by": claim.claimed_by, "published_at": claim.published_at, "position": position,
            "body": claim.model_dump(mode="json")})
    return list(rows.values())


def _int(value: int | bool | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool(value: int | bool | None) -> bool | None:
    return value if isinstance(value, bool) else None


def newest(batch: Sequence[Incident]) -> dict[str, Incident]:
    """The highest version of each id in a batch (the first of equal ones)."""
    out: dict[str, Incident] = {}
    for inc in batch:
        if inc.id not in out or inc.version > out[inc.id].version:
            out[inc.id] = inc
    return out


def write_incidents(conn: Connection, batch: Sequence[Incident], now: datetime,
                    upsert: Callable[[dict[str, Any]], Any]) -> list[str]:
    """Writes what is newer than the store in `batch` on `conn` (in the caller's transaction);
    `upsert(row)` is the INSERT ... ON CONFLICT (id) statement for incident rows shaped like `row`.
    Returns the ids written."""
    wanted = newest(batch)
    stored: dict[str, int] = {}
    ids = list(wanted)
    for i in range(0, len(ids), 500):
        stored.update((r.id, r.version) for r in conn.execute(
            select(incidents.c.id, incidents.c.version).where(incidents.c.id.in_(ids[i:i + 500]))))
    fresh = [inc for inc in wanted.values() if inc.version > stored.get(inc.id, 0)]
    if not fresh:
        return []
    rows = [incident_row(inc, now) for inc in fresh]
    conn.execute(upsert(rows[0]), rows)
    written = [inc.id for inc in fresh]
    for i in range(0, len(written), 500):
        conn.execute(delete(incident_claims).where(incident_claims.c.incident_id.in_(written[i:i + 500])))
    claims = [row for inc in fresh for row in claim_rows(inc)]
    if claims:
        conn.execute(incident_claims.insert(), claims)
    return written
