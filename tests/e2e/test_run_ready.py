"""`dronewatch run` as a user starts it (its own local broker, SQLite, five service processes), on
ports of its own: once the ready file appears (and the banner with it) a report posted to
ingestion is accepted at once, and `dronewatch wait` agrees; Ctrl-C stops it and removes the file.
Before that, while the services are still starting, `dronewatch wait` with a short timeout says
which are not ready."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.kafka.broker import free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _dronewatch(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dronewatch", *args], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]


def test_once_the_ready_file_appears_every_service_answers_and_a_report_is_accepted(tmp_path):
    ports = {name: free_port() for name in ("INGESTION_PORT", "GATEWAY_PORT", "STORAGE_OPS_PORT",
                                            "GEOCODING_OPS_PORT", "EXTRACTION_OPS_PORT", "LOCAL_BROKER_PORT")}
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DRONEWATCH_READY_FILE")}
    env.update({name: str(port) for name, port in ports.items()})
    env.update({"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
                "INGESTION_DB_URL": f"sqlite:///{tmp_path / 'ingestion.db'}", "LOG_FORMAT": "text",
                "GAZETTEER_INDEX_PATH": str(ROOT / "var" / "gazetteer" / "index.pkl.gz")})  # shared with make run
    ready_file = tmp_path / "up" / "stack.ready"
    samples = tmp_path / "samples"
    samples.mkdir()
    stack = _dronewatch("run", "--samples", str(samples), "--ready-file", str(ready_file), env=env)
    ingest = f"http://127.0.0.1:{ports['INGESTION_PORT']}"
    try:
        early = _dronewatch("wait", "--timeout", "0", env=env)
        out, _ = early.communicate(timeout=60)
        assert early.returncode == 1 and "not ready" in out, out

        deadline = time.monotonic() + 240
        while not ready_file.exists():
            assert stack.poll() is None, f"dronewatch run exited: {stack.stdout.read() if stack.stdout else ''}"
            assert time.monotonic() < deadline, "no ready file after 240 s"
            time.sleep(0.05)
        # At once, no retry: the moment the file is there, ingestion takes reports.
        resp = httpx.post(f"{ingest}/v1/articles", json={"text": "Two drones were shot down over Belgorod."},
                          timeout=10)
        assert resp.status_code == 202, resp.text
        services = json.loads(ready_file.read_text())["services"]
        assert set(services) == {"ingestion", "gateway", "storage", "geocoding", "extraction", "incidents"}
        for url in services.values():
            assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200, url

        waited = _dronewatch("wait", "--timeout", "5", "--ready-file", str(ready_file), env=env)
        out, _ = waited.communicate(timeout=60)
        assert waited.returncode == 0 and out.startswith("ready:"), out
    finally:
        stack.send_signal(signal.SIGINT)
        output, _ = stack.communicate(timeout=90)
    banner = output.index("dronewatch is running.")
    assert output.index("feeding sample reports:") < banner, output
    assert str(ready_file) in output[banner:]
    assert stack.returncode == 0, output
    assert not ready_file.exists()  # a stopped stack leaves no file saying it is up
