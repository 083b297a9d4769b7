"""When the local stack (`dronewatch run`) is up, and how a script waits for it.

Every service has a readiness endpoint: the HTTP services' own `/readyz` (ingestion: its port
accepts connections and its outbox answers; the gateway: the store answers), the workers' `/readyz`
on their operations port (their consumer joined its group). The stack is ready when all of them
answer 200 in one round; only then does `dronewatch run` print its banner and write the ready file,
and `dronewatch wait` return 0. The URLs come from the same settings the services read, so `wait`
finds a stack started with the same environment.

A worker's operations port is OPS_PORT for each of them (storage 9101, extraction 9102, geocoding
9103 by default); `<SERVICE>_OPS_PORT` (e.g. STORAGE_OPS_PORT) sets one worker's port under
`dronewatch run`, which hands it to that worker as its OPS_PORT."""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

WORKERS = ("storage", "geocoding", "extraction", "incidents")
READY_FILE_ENV = "DRONEWATCH_READY_FILE"
READY_FILE_NAME = "dronewatch.ready"


def _local(host: str) -> str:
    """Where a client on this machine reaches a service bound to `host`."""
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - bound, not binding


def worker_ops_env(name: str, env: Mapping[str, str]) -> dict[str, str]:
    """The OPS_PORT for worker `name` when `<NAME>_OPS_PORT` sets its own."""
    own = env.get(f"{name.upper()}_OPS_PORT")
    return {"OPS_PORT": own} if own else {}


def service_urls(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each service's base URL ({name: http://host:port}): the HTTP services' API, the workers'
    operations endpoint (a worker without one is left out: nothing to ask)."""
    from services.extraction.settings import ExtractionSettings
    from services.gateway.settings import GatewaySettings
    from services.geocoding.settings import GeocodingSettings
    from services.incidents.settings import IncidentsSettings
    from services.ingestion.settings import IngestionSettings
    from services.storage.settings import StorageSettings

    env = os.environ if env is None else env
    ingestion, gateway = IngestionSettings(), GatewaySettings()
    urls = {"ingestion": f"http://{_local(ingestion.ingestion_host)}:{ingestion.ingestion_port}",
            "gateway": f"http://{_local(gateway.gateway_host)}:{gateway.gateway_port}"}
    for name, settings_class in (("storage", StorageSettings), ("geocoding", GeocodingSettings),
                                 ("extraction", ExtractionSettings), ("incidents", IncidentsSettings)):
        settings = settings_class()
        port = worker_ops_env(name, env).get("OPS_PORT") or settings.ops_port
        if port:
            urls[name] = f"http://{_local(settings.ops_host)}:{port}"
    return urls


def answers(url: str, timeout_s: float = 2.0) -> bool:
    """`url` answers 200 (a refused connection, a timeout or any other status: not yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # noqa: S310 - our own http URLs
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError, ValueError):
        return False


def not_ready(urls: Mapping[str, str]) -> list[str]:
    """The services whose /readyz does not answer 200 now (empty: every one does)."""
    return [name for name, base in urls.items() if not answers(f"{base}/readyz")]


def wait_ready(urls: Mapping[str, str], timeout_s: float, *, interval_s: float = 0.2,
               abort: Callable[[], str | None] = lambda: None) -> list[str]:
    """Poll until every service answers in one round; returns [] then, else (at `timeout_s`) the
    ones still not ready. `abort` may return a reason to stop early (a child process died); it is
    raised as RuntimeError."""
    deadline = time.monotonic() + timeout_s
    while True:
        if reason := abort():
            raise RuntimeError(reason)
        missing = not_ready(urls)
        if not missing or time.monotonic() >= deadline:
            return missing
        time.sleep(interval_s)


def ready_file_path(data_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """DRONEWATCH_READY_FILE, else `<DATA_DIR>/dronewatch.ready`."""
    given = (os.environ if env is None else env).get(READY_FILE_ENV)
    return Path(given) if given else data_dir / READY_FILE_NAME


def write_ready_file(path: Path, urls: Mapping[str, str]) -> None:
    """Written whole (a temporary file renamed over it), so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"ready_at": datetime.now(UTC).isoformat(), "pid": os.getpid(),
                               "services": dict(urls)}, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def remove_ready_file(path: Path) -> None:
    path.unlink(missing_ok=True)


def wait_command(timeout_s: float, ready_file: Path | None = None) -> int:
    """`dronewatch wait`: 0 once every service answers (and the ready file exists, when one is
    named), 1 at the timeout naming what is missing."""
    deadline = time.monotonic() + timeout_s
    if ready_file is not None:
        while not ready_file.exists():
            if time.monotonic() >= deadline:
                print(f"not ready after {timeout_s:g} s: no ready file {ready_file}", flush=True)
                return 1
            time.sleep(0.2)
    urls = service_urls()
    missing = wait_ready(urls, max(0.0, deadline - time.monotonic()))
    if missing:
        print(f"not ready after {timeout_s:g} s: " + ", ".join(f"{n} ({urls[n]}/readyz)" for n in missing), flush=True)
        return 1
    print("ready: " + ", ".join(f"{name} {url}" for name, url in urls.items()), flush=True)
    return 0
