"""Liveness and readiness."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from shared.openapi import NOT_READY
from shared.store.tables import articles

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=NOT_READY)
def readyz(request: Request) -> JSONResponse:
    """Ready when the store answers and its schema is in place."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(select(articles.c.id).limit(1))
    except SQLAlchemyError as err:
        return JSONResponse(status_code=503, content={"status": "unavailable", "error": type(err).__name__})
    return JSONResponse(content={"status": "ready"})
