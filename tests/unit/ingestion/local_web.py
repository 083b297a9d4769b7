"""A small local web server for the source tests: serves feeds and pages from a dict (or made per
request, `routes`: the Telegram channel previews of `tests/telegram_preview.py`), answers
conditional requests (ETag / Last-Modified -> 304) and records the headers of every request.
Nothing leaves the machine."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None  # with a 3xx status: where it redirects
    retry_after: str | None = None  # with a 429: the Retry-After header


@dataclass
class LocalWeb:
    resources: dict[str, Resource] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""
    # Resources made per request: path prefix -> a function of the whole path (with its query).
    routes: dict[str, Callable[[str], Resource]] = field(default_factory=dict)

    def resource(self, path: str) -> Resource | None:
        if path in self.resources:
            return self.resources[path]
        for prefix, make in self.routes.items():
            if path.split("?")[0] == prefix:
                return make(path)
        return None

    def put(self, path: str, body: str | bytes, **kw: object) -> str:
        self.resources[path] = Resource(body.encode() if isinstance(body, str) else body, **kw)  # type: ignore[arg-type]
        return self.base + path

    def headers_of(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


def serve() -> tuple[ThreadingHTTPServer, LocalWeb]:  # noqa: C901 - the fixture site's request handler: one branch per kind of page it plays, read in one place
    web = LocalWeb()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            web.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            res = web.resource(self.path)
            if res is None:
                return self._send(404, b"not here", "text/plain")
            if res.location:
                return self._send(res.status, b"", None, {"Location": res.location})
            if res.status != 200:
                extra = {"Retry-After": res.retry_after} if res.retry_after else None
                return self._send(res.status, res.body or b"failure", "text/plain", extra)
            validators = {}
            if res.etag:
                validators["ETag"] = res.etag
            if res.last_modified:
                validators["Last-Modified"] = res.last_modified
            inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            if (res.etag and inm == res.etag) or (not res.etag and res.last_modified and ims == res.last_modified):
                return self._send(304, b"", None, validators)
            self._send(200, res.body, res.content_type, validators)

        def _send(self, status: int, body: bytes, ctype: str | None, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    web.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, web


@contextlib.contextmanager
def serve_app(app: object) -> Iterator[str]:
    """Run an ASGI app with uvicorn on a free local port in a thread; yields its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
