"""Dependencies shared by the gateway's routes."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError

from services.gateway.settings import GatewaySettings


def get_conn(request: Request) -> Iterator[Connection]:
    try:
        with request.app.state.engine.connect() as conn:
            yield conn
    except (OperationalError, ProgrammingError) as err:
        raise HTTPException(status_code=503, detail=f"the store is not available: {type(err.orig).__name__}") from err


def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


ConnDep = Annotated[Connection, Depends(get_conn)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
