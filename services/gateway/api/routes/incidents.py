"""GET /v1/incidents (JSON, or GeoJSON by `Accept: application/geo+json`), /v1/incidents.geojson,
/v1/incidents.csv (streamed) and /v1/incidents/{id} with its claims.

A merged incident answers 200 with `status: merged` and `merged_into` (the incident that survives),
and a `Link: </v1/incidents/{survivor}>; rel="canonical"` header, rather than a redirect: the
merged incident's last state stays readable, and a client that wants the survivor follows the
link (a redirect would hide that the id it holds was merged)."""
from __future__ import annotations

from itertools import chain, islice
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import OperationalError, ProgrammingError

from services.gateway.api.deps import SettingsDep, Store, StoreDep
from services.gateway.api.params import IncidentFilterDep, text_param
from services.gateway.api.routes.events import CursorQuery, GeoJSONResponse, LimitQuery, SortQuery, wants_geojson
from services.gateway.filters import INCIDENTS, IncidentFilter
from services.gateway.formats import (
    GEOJSON_MEDIA_TYPE,
    INCIDENT_CSV_COLUMNS,
    csv_chunks,
    feature_collection_json,
    incident_csv_row,
    page_json,
)
from services.gateway.queries import BadCursor, Sort, get_incident, iter_events, list_rows
from services.gateway.schemas import IncidentDetail, IncidentFeatureCollection, IncidentsPage
from shared.http import ParameterError, problem_responses

router = APIRouter(tags=["incidents"])
ERRORS = problem_responses(401, 403, 422, 429, 503)


def _page(store: Store, settings: Any, flt: IncidentFilter, limit: int | None, cursor: str | None,
          sort: Sort) -> tuple[list[Any], str | None]:
    try:
        with store.connect() as conn:
            return list_rows(conn, INCIDENTS, flt=flt, limit=min(limit or settings.gateway_default_limit,
                                                                 settings.gateway_max_limit), cursor=cursor, sort=sort)
    except BadCursor as err:
        raise ParameterError("cursor", str(err)) from None


@router.get("/v1/incidents", response_model=IncidentsPage, responses={
    200: {"content": {GEOJSON_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/IncidentFeatureCollection"}}},
          "description": "a page of incidents; a GeoJSON FeatureCollection with Accept: application/geo+json"},
    **ERRORS})
def search_incidents(request: Request, store: StoreDep, settings: SettingsDep, flt: IncidentFilterDep,
                     sort: SortQuery = "stored", limit: LimitQuery = None, cursor: CursorQuery = None) -> Any:
    """Incidents matching all the given filters (without their claims; see /v1/incidents/{id});
    follow `next_cursor` for the next page. `sort=stored` is the order incidents were first
    stored in; an update keeps an incident's place in it."""
    rows, next_cursor = _page(store, settings, flt, limit, cursor, sort)
    if wants_geojson(request.headers.get("accept")):
        return Response(feature_collection_json(rows, next_cursor), media_type=GEOJSON_MEDIA_TYPE)
    return Response(page_json([r.body for r in rows], next_cursor), media_type="application/json")


@router.get("/v1/incidents.geojson", response_model=IncidentFeatureCollection, response_class=GeoJSONResponse,
            responses=ERRORS)
def search_incidents_geojson(store: StoreDep, settings: SettingsDep, flt: IncidentFilterDep,
                             sort: SortQuery = "stored", limit: LimitQuery = None, cursor: CursorQuery = None) -> Any:
    """The same search as /v1/incidents, as a GeoJSON FeatureCollection (coordinates lon,lat;
    incidents without coordinates have a null geometry)."""
    rows, next_cursor = _page(store, settings, flt, limit, cursor, sort)
    return Response(feature_collection_json(rows, next_cursor), media_type=GEOJSON_MEDIA_TYPE)


@router.get("/v1/incidents.csv", response_class=StreamingResponse, responses={
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "every matching incident"},
    **ERRORS})
def export_incidents_csv(request: Request, flt: IncidentFilterDep, sort: SortQuery = "stored",
                         limit: Annotated[int | None, Query(ge=1, description="at most this many rows (default: "
                                                                              "all)")] = None) -> StreamingResponse:
    """Every incident matching the filters as CSV, one row each (`count_min`, `count_max` when the
    claims disagree), streamed in chunks."""
    rows = iter_events(request.app.state.engine, flt=flt, sort=sort, limit=limit, subject=INCIDENTS)
    try:
        head = list(islice(rows, 1))  # the first chunk is read here, so an unreachable store is a 503
    except (OperationalError, ProgrammingError) as err:
        raise HTTPException(503, f"the store is not available: {type(err.orig).__name__}") from err
    return StreamingResponse(csv_chunks(chain(head, rows), columns=INCIDENT_CSV_COLUMNS, row=incident_csv_row),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="incidents.csv"'})


@router.get("/v1/incidents/{incident_id}", response_model=IncidentDetail,
            responses=problem_responses(401, 403, 404, 422, 429, 503))
def read_incident(incident_id: str, store: StoreDep, response: Response) -> Any:
    """One incident with its claims. A merged one answers with `status: merged`, `merged_into` and
    a `Link` header (rel="canonical") to the incident that survives."""
    incident_id = text_param("incident_id", incident_id, where="path") or ""
    with store.connect() as conn:
        incident = get_incident(conn, incident_id)
    if incident is None:
        raise HTTPException(404, f"no incident with id {incident_id!r}")
    if incident.get("status") == "merged" and incident.get("merged_into"):
        response.headers["Link"] = f'</v1/incidents/{quote(incident["merged_into"], safe="")}>; rel="canonical"'
    return incident
