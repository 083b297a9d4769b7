"""The operations endpoint of a worker (which has no HTTP API of its own): GET /healthz (the
process is alive), /readyz (its consumer has joined its group) and /metrics (Prometheus text), on
OPS_PORT. A minimal asyncio HTTP/1.1 server: three read-only routes need no framework."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

from shared.metrics import ServiceMetrics

log = logging.getLogger(__name__)


class OpsServer:
    def __init__(self, host: str, port: int, metrics: ServiceMetrics, ready: Callable[[], bool]) -> None:
        self.host, self.port, self.metrics, self.ready = host, port, metrics, ready
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("ops endpoint listening", extra={"url": f"http://{self.host}:{self.port}/metrics"})

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            method, path, *_ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            status, ctype, body = self._route(method, path.split("?", 1)[0])
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                         "Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _route(self, method: str, path: str) -> tuple[str, str, bytes]:
        if method != "GET":
            return "405 Method Not Allowed", "application/json", b'{"error": "only GET"}'
        if path == "/healthz":
            return "200 OK", "application/json", b'{"status": "ok"}'
        if path == "/readyz":
            ok = self.ready()
            body = json.dumps({"status": "ready" if ok else "starting"}).encode()
            return ("200 OK" if ok else "503 Service Unavailable"), "application/json", body
        if path == "/metrics":
            return "200 OK", self.metrics.content_type, self.metrics.render()
        return "404 Not Found", "application/json", b'{"error": "unknown path; try /healthz, /readyz, /metrics"}'
