"""A minimal HTTP/1.1 keep-alive client for the load generator.

httpx costs the generator 1.2 ms of CPU per request alone and 5-8 ms with 50-200 requests in flight
(measured against a bare FastAPI app on this machine), which on two cores steals the CPU the
pipeline is being measured on and makes an open-loop generator fall behind its schedule. This one
speaks just enough HTTP/1.1 for our own services (JSON bodies, Content-Length or chunked answers)
over a pool of persistent connections per origin."""
from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


class Reply:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code, self.content = status_code, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Origin:
    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(size)


class FastClient:
    """`await get(url)`, `await post(url, json=...)` → Reply; at most `size` connections per origin."""

    def __init__(self, size: int = 64, timeout_s: float = 60.0) -> None:
        self.size, self.timeout_s = size, timeout_s
        self.origins: dict[tuple[str, int], _Origin] = {}

    async def get(self, url: str) -> Reply:
        return await self.request("GET", url)

    async def post(self, url: str, json: Any = None) -> Reply:  # noqa: A002 - httpx's spelling
        return await self.request("POST", url, _dumps(json))

    async def request(self, method: str, url: str, body: bytes = b"") -> Reply:
        parts = urlsplit(url)
        key = (parts.hostname or "127.0.0.1", parts.port or 80)
        origin = self.origins.get(key) or self.origins.setdefault(key, _Origin(*key, self.size))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        head = (f"{method} {path} HTTP/1.1\r\nHost: {key[0]}:{key[1]}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        async with origin.slots:
            for attempt in (1, 2):  # a pooled connection the server has closed meanwhile: once more, fresh
                reused = attempt == 1 and bool(origin.idle)
                conn = origin.idle.pop() if reused else await asyncio.open_connection(origin.host, origin.port)
                try:
                    status, content, keep = await asyncio.wait_for(_exchange(conn, head + body), self.timeout_s)
                except (ConnectionError, asyncio.IncompleteReadError, _Closed):
                    conn[1].close()
                    if reused:  # the server closes idle connections after a while: the others are stale too
                        for _, writer in origin.idle:
                            writer.close()
                        origin.idle.clear()
                        continue
                    raise
                except BaseException:
                    conn[1].close()
                    raise
                if keep:
                    origin.idle.append(conn)
                else:
                    conn[1].close()
                return Reply(status, content)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        for origin in self.origins.values():
            for _, writer in origin.idle:
                writer.close()
            origin.idle.clear()

    async def __aenter__(self) -> FastClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


class _Closed(Exception):
    pass


def _dumps(value: Any) -> bytes:
    return b"" if value is None else json.dumps(value, ensure_ascii=False).encode()


async def _exchange(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], data: bytes) -> tuple[int, bytes, bool]:
    reader, writer = conn
    writer.write(data)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise _Closed
    status = int(status_line.split()[1])
    length, chunked, keep = 0, False, True
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            keep = False
    if not chunked:
        return status, await reader.readexactly(length), keep
    parts = []
    while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
        parts.append(await reader.readexactly(size))
        await reader.readline()
    await reader.readline()  # the CRLF after the last chunk (no trailers from our services)
    return status, b"".join(parts), keep
