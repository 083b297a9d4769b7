"""The whole pipeline as separate processes over the real local broker, on SQLite and on
PostgreSQL: reports posted over HTTP come back from the gateway as geolocated events; duplicates
add nothing; a message no stage can process leaves the article `failed` with the reason."""
from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

import httpx
import pytest

from services.geocoding.index import ensure_index
from services.storage.migrations import upgrade
from shared.config import BaseServiceSettings, GazetteerSettings
from shared.devstack import Stack
from shared.kafka.broker import free_port
from shared.topics import ARTICLES_RECEIVED
from tests.conftest import store_url
from tests.kafka_helpers import create_topics, produce_raw

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("storage", "geocoding", "extraction", "gateway", "ingestion")
WORKERS = ("storage", "geocoding", "extraction")


class Running:
    def __init__(self, stack: Stack, ingest: str, gateway: str, settings: BaseServiceSettings) -> None:
        self.stack, self.ingest, self.gateway, self.settings = stack, ingest, gateway, settings
        self.ops: dict[str, str] = {}

    def post(self, body: dict) -> httpx.Response:
        return httpx.post(f"{self.ingest}/v1/articles", json=body, timeout=10)

    def article(self, article_id: str, timeout_s: float = 30.0) -> dict:
        """The article once processed or failed (fails the test if it stays pending)."""
        deadline = time.monotonic() + timeout_s
        doc: dict = {}
        while time.monotonic() < deadline:
            resp = httpx.get(f"{self.gateway}/v1/articles/{article_id}", timeout=5)
            if resp.status_code == 200:
                doc = resp.json()
                if doc["status"] in ("processed", "failed"):
                    return doc
            time.sleep(0.1)
        raise AssertionError(f"{article_id} still {doc.get('status', 'unknown')} after {timeout_s}s; "
                             f"logs in {self.stack.data_dir / 'log'}")

    def events(self, **params: str) -> list[dict]:
        resp = httpx.get(f"{self.gateway}/v1/events", params=params, timeout=5)
        assert resp.status_code == 200, resp.text
        return resp.json()["items"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def running(request, kafka_bootstrap, tmp_path_factory, pg_database):
    data = tmp_path_factory.mktemp(f"stack-{request.param}")
    (data / "log").mkdir()
    db_url = store_url(request.param, data, pg_database)
    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    index_path = ROOT / "var" / "gazetteer" / "index.pkl.gz"  # shared with make run: built once
    index = ensure_index(GazetteerSettings(_env_file=None, gazetteer_index_path=index_path))
    upgrade(db_url)
    settings = BaseServiceSettings(_env_file=None, kafka_bootstrap_servers=kafka_bootstrap, kafka_topic_prefix=prefix)
    asyncio.run(create_topics(settings))
    ingest_port, gateway_port = free_port(), free_port()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "KAFKA_TOPIC_PREFIX": prefix,
           "KAFKA_SESSION_TIMEOUT_MS": "2000", "KAFKA_HEARTBEAT_INTERVAL_MS": "200", "DATABASE_URL": db_url,
           "INGESTION_DB_URL": f"sqlite:///{data / 'ingestion.db'}", "GAZETTEER_INDEX_PATH": str(index),
           "INGESTION_PORT": str(ingest_port), "GATEWAY_PORT": str(gateway_port), "DATA_DIR": str(data),
           "LOG_FORMAT": "text", "STORAGE_MIGRATE_ON_START": "false"}
    stack = Stack(data_dir=data, env=env)
    ops = {name: f"http://127.0.0.1:{free_port()}" for name in WORKERS}
    for name in SERVICES:
        stack.start_service(name, {"OPS_PORT": ops[name].rsplit(":", 1)[1]} if name in ops else None)
    running = Running(stack, f"http://127.0.0.1:{ingest_port}", f"http://127.0.0.1:{gateway_port}", settings)
    running.ops = ops
    try:
        _wait(lambda: all(_ok(f"{url}/readyz") for url in (running.gateway, running.ingest, *ops.values())), stack)
        yield running
    finally:
        stack.stop()


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(check, stack: Stack, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if dead := stack.dead():
            logs = "\n".join(stack.log_path(n).read_text()[-3000:] for n in dead)
            raise AssertionError(f"{dead} exited during start-up:\n{logs}")
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("the stack did not become ready in time")


def test_a_report_posted_over_http_comes_back_as_a_geolocated_event(running):
    body = {"id": f"e2e-{uuid.uuid4().hex[:6]}", "language": "en", "published_at": "2026-10-10T07:00:00+03:00",
            "text": "Air defence forces shot down four drones over the Kursk region overnight, the governor "
                    "said on Telegram. No one was hurt."}
    resp = running.post(body)
    assert resp.status_code == 202 and resp.json() == {"id": body["id"], "status": "accepted"}
    doc = running.article(body["id"])
    assert doc["status"] == "processed" and doc["language"] == "en"
    [event] = running.events(article_id=body["id"])
    assert (event["type"], event["weapon"], event["count"], event["killed"], event["injured"]) == \
        ("interception", "uav", 4, 0, 0)
    loc = event["location"]
    assert loc["admin1_code"] == "RU-KRS" and loc["country_code"] == "RU"
    assert 50 < loc["lat"] < 53 and 34 < loc["lon"] < 38
    assert body["text"][loc["span"][0]:loc["span"][1]] == loc["mention"]
    for ev in event["evidence"]:
        assert body["text"][ev["span"][0]:ev["span"][1]] == ev["text"]
    assert running.events(admin1="RU-KRS", article_id=body["id"]) == [event]


def test_a_regional_breakdown_becomes_one_event_per_region(running):
    article_id = f"e2e-{uuid.uuid4().hex[:6]}"
    text = ("Минобороны сообщило, что ночью дежурные средства ПВО уничтожили 16 украинских беспилотников: "
            "10 над территорией Брянской области и 6 над Курской областью.")
    assert running.post({"id": article_id, "text": text}).status_code == 202
    assert running.article(article_id)["language"] == "ru"
    found = {(e["location"]["admin1_code"], e["count"]) for e in running.events(article_id=article_id)
             if e["type"] == "interception"}
    assert found == {("RU-BRY", 10), ("RU-KRS", 6)}


def test_the_same_report_twice_is_a_duplicate_and_adds_no_events(running):
    body = {"text": f"Debris of a downed drone fell in Belgorod, damaging a car. Report {uuid.uuid4().hex}."}
    first = running.post(body)
    assert first.status_code == 202
    article_id = first.json()["id"]
    before = running.article(article_id)["events"]
    again = running.post(body)
    assert again.status_code == 200 and again.json() == {"id": article_id, "status": "duplicate"}
    time.sleep(1.0)  # give a wrongly re-published report time to show up
    assert running.article(article_id)["events"] == before


def test_bad_input_gets_a_clear_4xx(running):
    resp = running.post({"title": "no text"})
    assert resp.status_code == 422 and "text" in resp.json()["error"]
    resp = httpx.get(f"{running.gateway}/v1/events", params={"admin1": "nowhere"}, timeout=5)
    assert resp.status_code == 422 and "admin1" in resp.json()["error"]


def test_an_article_no_stage_can_process_shows_failed_with_the_reason(running):
    article_id = f"e2e-poison-{uuid.uuid4().hex[:6]}"
    asyncio.run(produce_raw(running.settings, ARTICLES_RECEIVED,
                            [(article_id.encode(), json.dumps({"event_type": "article.received"}).encode())]))
    doc = running.article(article_id)
    assert doc["status"] == "failed"
    assert doc["error"].startswith("extraction:") and "schema_version" in doc["error"]


def test_every_service_reports_health_and_metrics(running):
    body = {"text": f"Air defence destroyed a drone over Tula region. Report {uuid.uuid4().hex}."}
    article_id = running.post(body).json()["id"]
    running.article(article_id)
    for name, url in {**running.ops, "gateway": running.gateway, "ingestion": running.ingest}.items():
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200, name
        assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200, name
    metrics = {name: httpx.get(f"{url}/metrics", timeout=5).text for name, url in running.ops.items()}
    for name in WORKERS:
        assert f'dronewatch_messages_consumed_total{{service="{name}"' in metrics[name]
        assert f'dronewatch_processing_seconds_count{{service="{name}"' in metrics[name]
    assert 'dronewatch_messages_produced_total{service="extraction"' in metrics["extraction"]
    assert "dronewatch_consumer_lag{" in metrics["storage"]
    gateway = httpx.get(f"{running.gateway}/metrics", timeout=5).text
    assert 'route="/v1/articles/{article_id}",service="gateway",status="200"' in gateway
