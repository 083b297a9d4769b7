"""Dependencies shared by the gateway's routes.

Routes take the store (`StoreDep`) and open a connection inside their own body with
`with store.connect() as conn:`, not a connection from a yield dependency: a sync yield dependency
takes one worker thread to check a connection out and another to give it back, so under load all
worker threads can end up waiting for connections that only a worker thread could return. The
light dependencies are `async def` so that they run on the event loop instead of each taking a
trip through the thread pool."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.gateway.regions import Regions
from services.gateway.settings import GatewaySettings


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read connection; raises 503 when the store cannot be reached or is not migrated."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except (OperationalError, ProgrammingError) as err:
            raise HTTPException(503, f"the store is not available: {type(err.orig).__name__}") from err
        except PoolTimeout as err:
            raise HTTPException(503, "the store is busy; try again", headers={"Retry-After": "1"}) from err


async def get_store(request: Request) -> Store:
    return Store(request.app.state.engine)


async def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


async def get_regions(request: Request) -> Regions:
    return request.app.state.regions


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
RegionsDep = Annotated[Regions, Depends(get_regions)]
