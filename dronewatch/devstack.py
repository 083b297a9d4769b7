"""`dronewatch run`: the whole stack on one machine, for development and demos.

Starts the local broker unless KAFKA_BOOTSTRAP_SERVERS is set, creates the topics, builds the
gazetteer index and migrates the store if needed, starts the six services as separate processes,
feeds the sample reports, and once every service answers its readiness endpoint
(dronewatch/readiness.py) writes the ready file and prints the URLs; on Ctrl-C stops everything in
reverse order."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronewatch.readiness import (
    ready_file_path,
    remove_ready_file,
    service_urls,
    wait_ready,
    worker_ops_env,
    write_ready_file,
)
from shared.config import GazetteerSettings
from shared.kafka.broker import LocalBroker, free_port
from shared.kafka.clients import ensure_topics
from shared.topics import ALL_TOPICS

SERVICES = ("storage", "geocoding", "extraction", "incidents", "gateway", "ingestion")
# Group joins on the local broker take about half the session timeout; keep them short.
LOCAL_BROKER_ENV = {"KAFKA_SESSION_TIMEOUT_MS": "3000", "KAFKA_HEARTBEAT_INTERVAL_MS": "300"}


@dataclass
class Stack:
    data_dir: Path
    env: dict[str, str]
    broker: LocalBroker | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    launched: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def log_path(self, name: str) -> Path:
        return self.data_dir / "log" / f"{name}.log"

    def start_service(self, name: str, extra_env: dict[str, str] | None = None, key: str | None = None) -> None:
        """Start `python -m services.<name>`; `key` names this instance when a service runs several."""
        key = key or name
        log = open(self.log_path(key), "ab")  # noqa: SIM115 - owned by the child
        env = {**self.env, **(extra_env or {})}
        self.launched[key] = (name, extra_env or {})
        self.procs[key] = subprocess.Popen([sys.executable, "-m", f"services.{name}"], env=env,
                                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, key: str) -> None:
        """SIGKILL one service instance, as a crash would: no clean shutdown, no final commit."""
        proc = self.procs[key]
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)

    def restart(self, key: str, change_env: dict[str, str] | None = None) -> None:
        """Start a stopped or killed instance again, as a supervisor would, with the same settings
        (plus `change_env`). A running instance is stopped first (SIGTERM)."""
        proc = self.procs[key]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
        name, extra_env = self.launched[key]
        self.start_service(name, {**extra_env, **(change_env or {})}, key=key)

    def dead(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is not None]

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop in 15 s; killing it", flush=True)
                proc.kill()
        if self.broker:
            self.broker.stop()


def _get(url: str, timeout: float = 2.0) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, {}


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def wait_until(check: Callable[[], bool], what: str, stack: Stack, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if dead := stack.dead():
            tails = "\n".join(f"--- {stack.log_path(n)} (last lines)\n{_tail(stack.log_path(n))}" for n in dead)
            raise RuntimeError(f"{', '.join(dead)} exited while waiting for {what}\n{tails}")
        try:
            if check():
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def ready(urls: list[str]) -> bool:
    """Every URL answers 200 (each service's /readyz: a worker is ready once it joined its group)."""
    return all(_get(url)[0] == 200 for url in urls)


def feed_samples(samples_dir: Path, ingest: str, gateway: str) -> None:
    files = sorted(samples_dir.glob("*.json"))
    ids = []
    for path in files:
        body = json.loads(path.read_text(encoding="utf-8"))
        status, reply = _post(f"{ingest}/v1/articles", body)
        ids.append(reply.get("id"))
        print(f"  posted {path.name}: HTTP {status} {reply.get('status')}", flush=True)
    deadline = time.monotonic() + 60
    for article_id in ids:
        while time.monotonic() < deadline:
            status, doc = _get(f"{gateway}/v1/articles/{article_id}")
            if status == 200 and doc.get("status") in ("processed", "failed"):
                break
            time.sleep(0.2)
        events = doc.get("events", []) if status == 200 else []
        print(f"  {article_id}: {doc.get('status', 'pending')}, {len(events)} events", flush=True)
        for ev in events:
            loc = ev["location"]
            print(f"    {ev['type']:12s} {ev['weapon']:10s} count={ev['count']} killed={ev['killed']} "
                  f"injured={ev['injured']} at {loc.get('name') or loc.get('mention')} "
                  f"[{loc.get('admin1_code')}, {loc.get('precision')}]", flush=True)


def _await_all(urls: dict[str, str], stack: Stack, timeout_s: float) -> None:
    """Every service answers its /readyz in one round, or TimeoutError naming those that do not."""
    missing = wait_ready(urls, timeout_s, abort=lambda: _died(stack))
    if missing:
        raise TimeoutError(f"timed out waiting for {', '.join(f'{n} ({urls[n]}/readyz)' for n in missing)}")


def access_note(ingestion: object, gateway: object) -> str:
    """Who may do what on this local stack: said at start, because it is open by default."""
    open_writes = not getattr(ingestion, "ingestion_require_key", False)
    open_reads = not getattr(gateway, "gateway_require_key_for_reads", False)
    host = getattr(ingestion, "ingestion_host", "127.0.0.1")
    writes = ("OPEN: anyone who reaches " + f"{host}:{getattr(ingestion, 'ingestion_port', '')}"
              " may post reports and add, change or remove feeds" if open_writes
              else "need an API key (scope ingest, admin)")
    reads = "open" if open_reads else "need an API key (scope read)"
    note = f"access: ingestion's writes and administration {writes}; the gateway's reads are {reads}."
    if open_writes:
        note += (" Fine on this machine; set INGESTION_REQUIRE_KEY=true and API_KEYS before exposing it "
                 "(docker-compose.yml requires them).")
    return note


def _died(stack: Stack) -> str | None:
    if dead := stack.dead():
        tails = "\n".join(f"--- {stack.log_path(n)} (last lines)\n{_tail(stack.log_path(n))}" for n in dead)
        return f"{', '.join(dead)} exited while waiting for the stack to become ready\n{tails}"
    return None


def run(samples_dir: Path, channels: Path | None = None, ready_file: Path | None = None) -> int:
    """`channels`: a file of Telegram channels for ingestion to follow (INGESTION_CHANNELS_FILE).
    `ready_file` (default DRONEWATCH_READY_FILE, else <DATA_DIR>/dronewatch.ready) is written once
    every service answers and removed when the stack stops."""
    settings = GazetteerSettings()
    data_dir = settings.data_dir
    (data_dir / "log").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if channels is not None:
        if not channels.is_file():
            print(f"error: no channels file {channels}", file=sys.stderr)
            return 1
        env["INGESTION_CHANNELS_FILE"] = str(channels.resolve())
    stack = Stack(data_dir=data_dir, env=env)
    stopping = False
    ready_path = ready_file or ready_file_path(data_dir)
    remove_ready_file(ready_path)  # a file left by a stack that was killed says nothing about this one

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            port = int(os.environ.get("LOCAL_BROKER_PORT") or free_port())
            stack.broker = LocalBroker(port, log_path=stack.log_path("broker"))
            stack.broker.start()
            env["KAFKA_BOOTSTRAP_SERVERS"] = stack.broker.bootstrap
            env.update({k: v for k, v in LOCAL_BROKER_ENV.items() if k not in os.environ})
            print(f"local broker (Tansu, in memory) on {stack.broker.bootstrap}", flush=True)
        bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
        created = asyncio.run(ensure_topics(settings.model_copy(update={"kafka_bootstrap_servers": bootstrap}),
                                            ALL_TOPICS))
        print(f"topics ready ({len(created)} created)", flush=True)
        from services.gateway.settings import GatewaySettings
        from services.ingestion.settings import IngestionSettings
        from services.storage.migrations import upgrade
        from shared.places.indexfile import ensure_index

        print("gazetteer index: " + str(ensure_index(settings)), flush=True)
        gateway_settings, ingestion_settings = GatewaySettings(), IngestionSettings()
        print(access_note(ingestion_settings, gateway_settings), flush=True)
        database_url = gateway_settings.database_url
        upgrade(database_url)
        print(f"store migrated: {database_url.split('@')[-1]}", flush=True)
        for name in SERVICES:
            stack.start_service(name, worker_ops_env(name, env))
        urls = service_urls(env)
        ingest, gateway = urls.pop("ingestion"), urls.pop("gateway")
        workers = list(urls.values())
        _await_all({"ingestion": ingest, "gateway": gateway, **urls}, stack, 120.0)
        print("feeding sample reports:", flush=True)
        feed_samples(samples_dir, ingest, gateway)
        _await_all({"ingestion": ingest, "gateway": gateway, **urls}, stack, 60.0)  # still, all at once
        write_ready_file(ready_path, {"ingestion": ingest, "gateway": gateway, **urls})
        print(f"\ndronewatch is running.\n  map        {gateway}/   (live events; the stream is {gateway}/v1/stream)\n"
              f"  ingestion  {ingest}/v1/articles   (docs {ingest}/docs)\n"
              f"  gateway    {gateway}/v1/events     (docs {gateway}/docs)\n"
              f"  metrics    {ingest}/metrics, {gateway}/metrics, " + ", ".join(f"{w}/metrics" for w in workers) + "\n"
              f"  channels   {ingest}/v1/admin/channels   (`dronewatch channels list`)\n"
              f"  incidents  `dronewatch subscribe --incidents --from-beginning` (one real event across reports)\n"
              f"  logs       {data_dir / 'log'}/\n"
              f"  ready file {ready_path}   (`dronewatch wait` returns once every service answers)\n"
              "Ctrl-C stops everything.", flush=True)
        while not stopping:
            if dead := stack.dead():
                print(f"{', '.join(dead)} exited; see {stack.log_path(dead[0])}. Stopping.", flush=True)
                return 1
            time.sleep(0.5)
        return 0
    except (RuntimeError, TimeoutError, OSError) as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("stopping...", flush=True)
        remove_ready_file(ready_path)
        stack.stop()
        print("stopped.", flush=True)
