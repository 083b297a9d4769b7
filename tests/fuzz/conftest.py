"""The ingestion app in-process for fuzzing: a real SQLite outbox in a temporary folder, a fake
publisher that serialises every message the way the Kafka publisher does (so a report the broker
could not carry fails here too), and a synchronous client over httpx's ASGI transport that
hypothesis can drive. Outbound connections and name look-ups are refused, so no input (a `url` to
fetch, say) can make a test download."""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.ingestion.adapters.outbox import SqlOutbox, outbox
from services.ingestion.api import create_app
from services.ingestion.settings import IngestionSettings
from shared.kafka.serde import encode
from shared.messages import Message

BODY_LIMIT_BYTES = 3_000_000  # above the text's 1,000,000-character limit, so that limit is reachable too
BATCH_BODY_LIMIT_BYTES = 4_000_000
BATCH_ITEMS = 5


class EncodingPublisher:
    """Records what would be published after encoding it exactly as the Kafka publisher does."""

    def __init__(self) -> None:
        self.sent: dict[str, Message] = {}

    async def publish_many(self, messages: list[Message], timeout_s: float | None = None) -> None:
        for message in messages:
            encode(message)
            self.sent[message.key] = message


class Api:
    """A synchronous face on an in-process ingestion app: requests run on one event loop in a
    background thread, inside the app's lifespan."""

    def __init__(self, tmp: Path, **overrides: object) -> None:
        self.publisher = EncodingPublisher()
        self.outbox = SqlOutbox(f"sqlite:///{tmp / 'ingestion.db'}")
        fields: dict[str, object] = {"ingestion_max_body_bytes": BODY_LIMIT_BYTES, "data_dir": tmp,
                                     "ingestion_max_batch_body_bytes": BATCH_BODY_LIMIT_BYTES,
                                     "ingestion_max_batch_items": BATCH_ITEMS, "log_format": "text"}
        fields.update(overrides)
        self.settings = IngestionSettings(_env_file=None, **fields)  # type: ignore[arg-type]
        self.app = create_app(self.settings, outbox=self.outbox, publisher=self.publisher)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._stack = contextlib.AsyncExitStack()
        self.client: httpx.AsyncClient | None = None

    def _run(self, coro):  # noqa: ANN001, ANN202 - a coroutine in, its result out
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def start(self) -> None:
        self.thread.start()

        async def enter() -> None:
            await self._stack.enter_async_context(self.app.router.lifespan_context(self.app))
            self.client = await self._stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://ingestion"))

        self._run(enter())

    def stop(self) -> None:
        self._run(self._stack.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        self.outbox.close()

    def request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        assert self.client is not None
        return self._run(self.client.request(method, path, **kwargs))  # type: ignore[arg-type]

    def stored(self, article_id: str) -> str | None:
        """The outbox's copy (JSON of the message) of an accepted report."""
        with self.outbox.engine.connect() as conn:
            return conn.execute(select(outbox.c.message).where(outbox.c.id == article_id)).scalar_one_or_none()


@pytest.fixture(scope="module")
def no_network() -> Iterator[None]:
    real_connect = socket.socket.connect

    def local_only(sock: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            with contextlib.suppress(ValueError):
                if not ipaddress.ip_address(host).is_loopback:
                    raise ConnectionRefusedError(f"fuzz tests do not connect out ({host})")
        return real_connect(sock, address)

    real_getaddrinfo = socket.getaddrinfo

    def local_names_only(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else str(host)
        is_ip = False
        with contextlib.suppress(ValueError):
            is_ip = bool(ipaddress.ip_address(name))
        if not is_ip and name not in ("localhost", "testserver", "ingestion"):
            raise socket.gaierror(socket.EAI_NONAME, f"fuzz tests do not look up {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    socket.socket.connect = local_only  # type: ignore[method-assign]
    socket.getaddrinfo = local_names_only  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, no_network: None) -> Iterator[Api]:
    running = Api(tmp_path_factory.mktemp("ingestion"))
    running.start()
    try:
        yield running
    finally:
        running.stop()
