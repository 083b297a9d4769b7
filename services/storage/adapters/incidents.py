"""Incidents into the store: the rows of one `incidents.v1` message, and writing a batch of them.

The store keeps the highest version of each incident id: a message whose version is not above the
stored one (a redelivery, or an older state arriving late) changes nothing. A newer version
rewrites the incident's row (its `seq` and `stored_at` stay, so storage-order pages stay stable)
and makes its claims the message's: only the claim rows that differ are written (a claim whose
event is gone is deleted, a new or changed one written, the rest left alone). Each new state
usually adds one claim to an incident holding many; rewriting all of them was most of storage's
cost per incident message.

`body` is the public incident without its claims (shared/store/incident_body.py); each claim's
body is the message's claim as it is (its JSON text as pydantic writes it, which is also what the
comparison with the stored row reads)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, Text, TypeDecorator, and_, bindparam, cast, delete, select, update

from shared.db import chunks
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
    """The claim rows of the incident's state, `body` as JSON text (see `ClaimWrites`)."""
    rows: dict[str, dict[str, Any]] = {}
    for position, claim in enumerate(inc.claims):  # a claim repeated in one message counts once
        if claim.event_id not in rows:
            rows[claim.event_id] = {
                "incident_id": inc.id, "event_id": claim.event_id, "article_id": claim.article_id,
                "claimed_by": claim.claimed_by, "published_at": claim.published_at, "position": position,
                "body": claim.model_dump_json()}
    return list(rows.values())


class JsonText(TypeDecorator[str]):
    """A JSON column's value bound as JSON text already made (the JSON type would serialise it again)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


class ClaimWrites:
    """The statements that bring incidents' claim rows to new states (built once per store). The
    body is bound as the JSON text the message's claim serialises to (pydantic's, not the JSON
    type's json.dumps of a dict: half the cost) and read back as text (`cast`: PostgreSQL's json
    keeps the text as written), so a stored claim equal to the new one is found by comparing texts."""

    def __init__(self) -> None:
        c = incident_claims.c
        one = and_(c.incident_id == bindparam("b_incident_id"), c.event_id == bindparam("b_event_id"))
        body = bindparam("body", type_=JsonText())
        self.by_incident = c.incident_id
        self.stored = select(c.incident_id, c.event_id, c.position, cast(c.body, Text).label("body"))
        self.insert = incident_claims.insert().values(
            incident_id=bindparam("incident_id"), event_id=bindparam("event_id"),
            article_id=bindparam("article_id"), claimed_by=bindparam("claimed_by"),
            published_at=bindparam("published_at"), position=bindparam("position"), body=body)
        self.update = update(incident_claims).where(one).values(
            article_id=bindparam("article_id"), claimed_by=bindparam("claimed_by"),
            published_at=bindparam("published_at"), position=bindparam("position"), body=body)
        self.move = update(incident_claims).where(one).values(position=bindparam("position"))
        self.drop = delete(incident_claims).where(one)

    def write(self, conn: Connection, fresh: Sequence[Incident]) -> None:
        """Makes each incident's claim rows its state's claims, writing only the rows that differ
        (a claim only moved in the order gets its new position alone)."""
        ids = [inc.id for inc in fresh]
        stored: dict[tuple[str, str], tuple[int, str]] = {}
        for part in chunks(ids):
            stored.update(((r.incident_id, r.event_id), (r.position, r.body)) for r in conn.execute(
                self.stored.where(self.by_incident.in_(part))))
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        moved: list[dict[str, Any]] = []
        kept = set()
        for inc in fresh:
            for row in claim_rows(inc):
                key = (inc.id, row["event_id"])
                kept.add(key)
                before = stored.get(key)
                if before is None:
                    new.append(row)
                elif before[1] != row["body"]:
                    changed.append({**row, "b_incident_id": key[0], "b_event_id": key[1]})
                elif before[0] != row["position"]:
                    moved.append({"position": row["position"], "b_incident_id": key[0], "b_event_id": key[1]})
        gone = [{"b_incident_id": i, "b_event_id": e} for i, e in stored if (i, e) not in kept]
        for statement, rows in ((self.drop, gone), (self.update, changed), (self.move, moved), (self.insert, new)):
            if rows:
                conn.execute(statement, rows)


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
                    upsert: Callable[[dict[str, Any]], Any], claims: ClaimWrites) -> list[str]:
    """Writes what is newer than the store in `batch` on `conn` (in the caller's transaction);
    `upsert(row)` is the INSERT ... ON CONFLICT (id) statement for incident rows shaped like `row`,
    `claims` the store's claim statements. Returns the ids written."""
    wanted = newest(batch)
    stored: dict[str, int] = {}
    ids = list(wanted)
    for part in chunks(ids):
        stored.update((r.id, r.version) for r in conn.execute(
            select(incidents.c.id, incidents.c.version).where(incidents.c.id.in_(part))))
    fresh = [inc for inc in wanted.values() if inc.version > stored.get(inc.id, 0)]
    if not fresh:
        return []
    rows = [incident_row(inc, now) for inc in fresh]
    conn.execute(upsert(rows[0]), rows)
    claims.write(conn, fresh)
    return [inc.id for inc in fresh]
