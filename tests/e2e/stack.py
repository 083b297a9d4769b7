"""Starting the whole pipeline as separate processes for end-to-end tests: a fresh store, a topic
prefix of its own on the session's broker, free ports, and each worker's ops endpoint. A service
may run several instances (one consumer group), keyed '<service>-<n>'."""
from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import create_engine

from dronewatch.devstack import Stack, ready, wait_until
from services.incidents.adapters.tables import metadata as incidents_state
from services.storage.migrations import upgrade
from shared.config import BaseServiceSettings, GazetteerSettings
from shared.kafka.broker import free_port
from shared.kafka.serde import decode
from shared.messages import Incident
from shared.places.indexfile import ensure_index
from shared.topics import INCIDENTS
from tests.kafka_helpers import create_topics, read_topic

ROOT = Path(__file__).resolve().parents[2]
WORKERS = ("storage", "geocoding", "extraction", "incidents")
HTTP_SERVICES = ("gateway", "ingestion")


class Running:
    def __init__(self, stack: Stack, ingest: str, gateway: str, settings: BaseServiceSettings,
                 ops: dict[str, str]) -> None:
        self.stack, self.ingest, self.gateway, self.settings, self.ops = stack, ingest, gateway, settings, ops

    def post(self, body: dict) -> httpx.Response:
        return httpx.post(f"{self.ingest}/v1/articles", json=body, timeout=10)

    def article(self, article_id: str, timeout_s: float = 30.0) -> dict:
        """The article once processed, failed or retracted (fails the test if it stays pending)."""
        deadline = time.monotonic() + timeout_s
        doc: dict = {}
        while time.monotonic() < deadline:
            resp = httpx.get(f"{self.gateway}/v1/articles/{article_id}", timeout=5)
            if resp.status_code == 200:
                doc = resp.json()
                if doc["status"] in ("processed", "failed", "retracted"):
                    return doc
            time.sleep(0.1)
        raise AssertionError(f"{article_id} still {doc.get('status', 'unknown')} after {timeout_s}s; "
                             f"logs in {self.stack.data_dir / 'log'}")

    def incidents(self, article_ids: set[str], timeout_s: float = 30.0) -> list[Incident]:
        """The active incidents (latest state of each, read from incidents.v1) holding claims of
        exactly these reports, once every report has a claim in one."""
        deadline = time.monotonic() + timeout_s
        found: list[Incident] = []
        while time.monotonic() < deadline:
            latest: dict[str, Incident] = {}
            for record in asyncio.run(read_topic(self.settings, INCIDENTS, expect=10**9, timeout_s=0.5)):
                inc = decode(INCIDENTS, record.value).payload
                if inc.id not in latest or latest[inc.id].version < inc.version:
                    latest[inc.id] = inc
            found = [i for i in latest.values() if i.status == "active"
                     and {c.article_id for c in i.claims} & article_ids]
            if {c.article_id for i in found for c in i.claims} >= article_ids:
                return found
            time.sleep(0.3)
        raise AssertionError(f"no incidents for {sorted(article_ids)} after {timeout_s}s: {found}")

    def events(self, **params: str) -> list[dict]:
        resp = httpx.get(f"{self.gateway}/v1/events", params=params, timeout=5)
        assert resp.status_code == 200, resp.text
        return resp.json()["items"]


@contextlib.contextmanager
def running_stack(kafka_bootstrap: str, data: Path, db_url: str, instances: dict[str, int] | None = None,
                  service_env: dict[str, dict[str, str]] | None = None) -> Iterator[Running]:
    """`service_env` adds settings for one service only (e.g. storage's DATABASE_URL through a proxy).
    `instances` sets how many of a worker run; a worker named there that WORKERS lacks is started too."""
    (data / "log").mkdir(exist_ok=True)
    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    index_path = ROOT / "var" / "gazetteer" / "index.pkl.gz"  # shared with make run: built once
    index = ensure_index(GazetteerSettings(_env_file=None, gazetteer_index_path=index_path))
    upgrade(db_url)
    if not db_url.startswith("sqlite"):  # the incidents state shares the session's database: start it empty
        engine = create_engine(db_url)
        incidents_state.drop_all(engine)
        engine.dispose()
    settings = BaseServiceSettings(_env_file=None, kafka_bootstrap_servers=kafka_bootstrap, kafka_topic_prefix=prefix)
    asyncio.run(create_topics(settings))
    ingest_port, gateway_port = free_port(), free_port()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "KAFKA_TOPIC_PREFIX": prefix,
           "KAFKA_SESSION_TIMEOUT_MS": "2000", "KAFKA_HEARTBEAT_INTERVAL_MS": "200", "DATABASE_URL": db_url,
           "INGESTION_DB_URL": f"sqlite:///{data / 'ingestion.db'}", "GAZETTEER_INDEX_PATH": str(index),
           "INGESTION_PORT": str(ingest_port), "GATEWAY_PORT": str(gateway_port), "DATA_DIR": str(data),
           "LOG_FORMAT": "text", "STORAGE_MIGRATE_ON_START": "false",
           # the incidents service's own state: a file of its own, or (PostgreSQL) the store's database
           "INCIDENTS_DATABASE_URL": f"sqlite:///{data / 'incidents.db'}" if db_url.startswith("sqlite") else db_url}
    stack = Stack(data_dir=data, env=env)
    ops: dict[str, str] = {}
    for name in dict.fromkeys((*WORKERS, *(instances or {}))):
        count = (instances or {}).get(name, 1)
        for n in range(1, count + 1):
            key = name if count == 1 else f"{name}-{n}"
            port = free_port()
            ops[key] = f"http://127.0.0.1:{port}"
            stack.start_service(name, {"OPS_PORT": str(port), **(service_env or {}).get(name, {})}, key=key)
    for name in HTTP_SERVICES:
        stack.start_service(name, (service_env or {}).get(name))
    running = Running(stack, f"http://127.0.0.1:{ingest_port}", f"http://127.0.0.1:{gateway_port}", settings, ops)
    try:
        urls = [f"{url}/readyz" for url in (running.gateway, running.ingest, *ops.values())]
        wait_until(lambda: ready(urls), "the stack to become ready", stack, timeout_s=90)
        yield running
    finally:
        stack.stop()

