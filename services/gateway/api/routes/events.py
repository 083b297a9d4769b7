"""GET /v1/events (JSON, or GeoJSON by `Accept: application/geo+json`), /v1/events.geojson,
/v1/events.csv (streamed) and /v1/events/{id}."""
from __future__ import annotations

from itertools import chain, islice
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.exc import OperationalError, ProgrammingError

from services.gateway.api.deps import SettingsDep, Store, StoreDep
from services.gateway.api.params import FilterDep, text_param
from services.gateway.formats import GEOJSON_MEDIA_TYPE, csv_chunks, feature_collection_json, page_json
from services.gateway.queries import BadCursor, Sort, get_event, iter_events, list_event_rows
from services.gateway.schemas import EventsPage, FeatureCollection
from shared.http import ParameterError, problem_responses
from shared.messages import IncidentEvent

router = APIRouter(tags=["events"])

SORT_DOC = ("stored (default: storage order), time (incident time, oldest first) or -time (newest first); "
            "all pages are stable while events arrive")
SortQuery = Annotated[Sort, Query(description=SORT_DOC)]
LimitQuery = Annotated[int | None, Query(ge=1, le=1000, description="page size (default 100)")]
CursorQuery = Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")]
ERRORS = problem_responses(401, 403, 422, 429, 503)


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON_MEDIA_TYPE


def wants_geojson(accept: str | None) -> bool:
    """True when Accept ranks application/geo+json above application/json (ties go to the first listed)."""
    best: tuple[float, int, str] | None = None
    for pos, part in enumerate((accept or "").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() not in (GEOJSON_MEDIA_TYPE, "application/json"):
            continue
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if best is None or (q, -pos) > (best[0], best[1]):
            best = (q, -pos, media.lower())
    return best is not None and best[2] == GEOJSON_MEDIA_TYPE and best[0] > 0


def _page(store: Store, settings: Any, flt: Any, limit: int | None, cursor: str | None,
          sort: Sort) -> tuple[list[Any], str | None]:
    try:
        with store.connect() as conn:
            return list_event_rows(conn, flt=flt, limit=min(limit or settings.gateway_default_limit,
                                                            settings.gateway_max_limit), cursor=cursor, sort=sort)
    except BadCursor as err:
        raise ParameterError("cursor", str(err)) from None


@router.get("/v1/events", response_model=EventsPage, responses={
    200: {"content": {GEOJSON_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/FeatureCollection"}}},
          "description": "a page of events; a GeoJSON FeatureCollection with Accept: application/geo+json"},
    **ERRORS})
def search_events(request: Request, store: StoreDep, settings: SettingsDep, flt: FilterDep,
                  sort: SortQuery = "stored", limit: LimitQuery = None, cursor: CursorQuery = None) -> Any:
    """Events matching all the given filters; follow `next_cursor` for the next page."""
    rows, next_cursor = _page(store, settings, flt, limit, cursor, sort)
    # The stored JSON goes out as it is: storage wrote it from the validated IncidentEvent model.
    if wants_geojson(request.headers.get("accept")):
        return Response(feature_collection_json(rows, next_cursor), media_type=GEOJSON_MEDIA_TYPE)
    return Response(page_json([r.body for r in rows], next_cursor), media_type="application/json")


@router.get("/v1/events.geojson", response_model=FeatureCollection, response_class=GeoJSONResponse,
            responses=ERRORS)
def search_events_geojson(store: StoreDep, settings: SettingsDep, flt: FilterDep, sort: SortQuery = "stored",
                          limit: LimitQuery = None, cursor: CursorQuery = None) -> Any:
    """The same search as /v1/events, as a GeoJSON FeatureCollection (RFC 7946; coordinates are
    lon,lat; events without coordinates have a null geometry)."""
    rows, next_cursor = _page(store, settings, flt, limit, cursor, sort)
    return Response(feature_collection_json(rows, next_cursor), media_type=GEOJSON_MEDIA_TYPE)


@router.get("/v1/events.csv", response_class=StreamingResponse, responses={
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "every matching event"},
    **ERRORS})
def export_events_csv(request: Request, flt: FilterDep, sort: SortQuery = "stored",
                      limit: Annotated[int | None, Query(ge=1, description="at most this many rows (default: all)")]
                      = None) -> StreamingResponse:
    """Every event matching the filters as CSV, streamed in chunks (no page size, no cursor)."""
    rows = iter_events(request.app.state.engine, flt=flt, sort=sort, limit=limit)
    try:
        head = list(islice(rows, 1))  # the first chunk is read here, so an unreachable store is a 503
    except (OperationalError, ProgrammingError) as err:
        raise HTTPException(503, f"the store is not available: {type(err.orig).__name__}") from err
    return StreamingResponse(csv_chunks(chain(head, rows)), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="events.csv"'})


@router.get("/v1/events/{event_id}", response_model=IncidentEvent, responses=problem_responses(401, 403, 404, 422,
                                                                                                  429, 503))
def read_event(event_id: str, store: StoreDep) -> Any:
    """One event by id."""
    event_id = text_param("event_id", event_id, where="path") or ""
    with store.connect() as conn:
        event = get_event(conn, event_id)
    if event is None:
        raise HTTPException(404, f"no event with id {event_id!r}")
    return event
