"""GET /v1/stats: event (or incident) counts and summed counts, killed and injured per group, under
the same filters as /v1/events (or /v1/incidents)."""
from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request, Response
from pydantic_core import to_json

from services.gateway.api.deps import StoreDep
from services.gateway.api.params import IncidentFilterDep
from services.gateway.filters import EVENTS, INCIDENTS
from services.gateway.queries import GroupBy, event_stats
from services.gateway.schemas import Stats, StatsRow
from shared.http import ParameterError, problem_responses

router = APIRouter(tags=["stats"])
GROUPS = get_args(GroupBy)
FIELD_ORDER = tuple(StatsRow.model_fields)  # the order the response model would write them in


@router.get("/v1/stats", response_model=Stats, response_model_exclude_unset=True,
            responses=problem_responses(401, 403, 422, 429, 503))
def stats(request: Request, store: StoreDep, flt: IncidentFilterDep, group_by: Annotated[str | None, Query(
        description=f"comma-separated, any of {', '.join(GROUPS)}; day is the UTC date of the event's time; "
                    "none: one overall row")] = None,
          of: Annotated[Literal["events", "incidents"], Query(
              description="what to count: events (one per report's claim), or incidents (one per real "
                          "incident, under min_sources and status as GET /v1/incidents)")] = "events") -> Any:
    """Per group: `events` (how many; `incidents` with `of=incidents`), and the sums of `count`,
    `killed` and `injured` (unknowns count as 0; an incident's are its reconciled values). Groups
    are sorted by their keys."""
    for name in ("min_sources", "status"):
        if of == "events" and name in request.query_params:
            raise ParameterError(name, "applies to incidents only (of=incidents)")
    keys: list[GroupBy] = []
    for raw in (group_by or "").split(","):
        key = raw.strip()
        if not key:
            continue
        if key not in GROUPS:
            raise ParameterError("group_by", f"{key!r} is not one of {', '.join(GROUPS)}")
        if key not in keys:
            keys.append(key)  # type: ignore[arg-type]
    with store.connect() as conn:
        groups = event_stats(conn, flt=flt if of == "incidents" else flt.events(), group_by=keys,
                             subject=INCIDENTS if of == "incidents" else EVENTS)
    # Written straight to JSON: the rows are already the response's plain types, and validating
    # them through `Stats` again costs more than the query on a year of days.
    ordered = [{k: row[k] for k in FIELD_ORDER if k in row} for row in groups]
    return Response(to_json({"group_by": keys, "groups": ordered}), media_type="application/json")
