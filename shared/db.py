"""SQLAlchemy engines for the services' own databases (storage's store, ingestion's outbox), built
the same way everywhere: SQLite files in WAL mode with `synchronous=NORMAL` (readers never block
the writer, and a commit does not wait for the disk, only a checkpoint does) and a 30 s busy
timeout; PostgreSQL with pre-ping, so a connection cut while idle is replaced instead of failing
the next write."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(database_url, pool_pre_ping=True)
    if url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


T = TypeVar("T")
IN_LIST = 500  # values per IN list: SQLite limits the parameters of one statement


def chunks(values: Sequence[T], size: int = IN_LIST) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size`, for IN lists of bounded length."""
    for i in range(0, len(values), size):
        yield values[i:i + size]
