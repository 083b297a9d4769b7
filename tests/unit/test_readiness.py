"""dronewatch/readiness.py: the stack is ready only when every service answers its /readyz in the
same round; a refused port or a 503 is not ready; the ready file is found where configured."""
from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dronewatch.readiness import (
    not_ready,
    ready_file_path,
    remove_ready_file,
    service_urls,
    wait_ready,
    worker_ops_env,
    write_ready_file,
)
from shared.kafka.broker import free_port


@contextlib.contextmanager
def serving(status: int) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            self.send_response(status if self.path == "/readyz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_service_whose_port_refuses_or_that_answers_503_is_not_ready():
    closed = f"http://127.0.0.1:{free_port()}"
    with serving(200) as up, serving(503) as starting:
        assert not_ready({"gateway": up}) == []
        assert not_ready({"gateway": up, "ingestion": closed, "storage": starting}) == ["ingestion", "storage"]
        assert wait_ready({"gateway": up, "ingestion": closed}, timeout_s=0.3, interval_s=0.05) == ["ingestion"]


def test_waiting_ends_as_soon_as_the_last_service_answers():
    port = free_port()
    late = f"http://127.0.0.1:{port}"
    with serving(200) as up:
        result: list[list[str]] = []
        waiter = threading.Thread(target=lambda: result.append(
            wait_ready({"gateway": up, "ingestion": late}, timeout_s=20, interval_s=0.05)))
        waiter.start()
        assert waiter.is_alive()  # ingestion's port still refuses: not ready although the gateway is
        server = ThreadingHTTPServer(("127.0.0.1", port), type("H", (BaseHTTPRequestHandler,), {
            "do_GET": lambda self: (self.send_response(200), self.end_headers()),
            "log_message": lambda self, *a: None}))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            waiter.join(10)
            assert result == [[]]
        finally:
            server.shutdown()
            server.server_close()


def test_a_dead_child_stops_the_wait_with_its_reason():
    with pytest.raises(RuntimeError, match="storage exited"):
        wait_ready({"x": f"http://127.0.0.1:{free_port()}"}, timeout_s=5, abort=lambda: "storage exited")


def test_the_ready_file_lives_where_configured_and_says_where_the_services_are(tmp_path):
    assert ready_file_path(tmp_path, {}) == tmp_path / "dronewatch.ready"
    assert ready_file_path(tmp_path, {"DRONEWATCH_READY_FILE": str(tmp_path / "x")}) == tmp_path / "x"
    path = tmp_path / "a" / "b.ready"
    write_ready_file(path, {"gateway": "http://127.0.0.1:8000"})
    assert json.loads(path.read_text())["services"] == {"gateway": "http://127.0.0.1:8000"}
    assert [p.name for p in path.parent.iterdir()] == ["b.ready"]  # no temporary file left
    remove_ready_file(path)
    remove_ready_file(path)  # gone already: fine
    assert not path.exists()


def test_each_worker_can_have_its_own_ops_port(monkeypatch):
    monkeypatch.setenv("INGESTION_PORT", "18001")
    monkeypatch.setenv("GATEWAY_HOST", "0.0.0.0")
    env = {"GEOCODING_OPS_PORT": "19103"}
    assert worker_ops_env("geocoding", env) == {"OPS_PORT": "19103"} and worker_ops_env("storage", env) == {}
    urls = service_urls(env)
    assert urls["ingestion"] == "http://127.0.0.1:18001" and urls["gateway"] == "http://127.0.0.1:8000"
    assert urls["geocoding"] == "http://127.0.0.1:19103" and urls["storage"] == "http://127.0.0.1:9101"
