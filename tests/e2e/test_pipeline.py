"""The whole pipeline as separate processes over the real local broker, on SQLite and on
PostgreSQL: reports posted over HTTP come back from the gateway as geolocated events; duplicates
add nothing; a message no stage can process leaves the article `failed` with the reason."""
from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest

from shared.topics import ARTICLES_RECEIVED
from tests.conftest import store_url
from tests.e2e.stack import WORKERS, running_stack
from tests.kafka_helpers import produce_raw

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def running(request, kafka_bootstrap, tmp_path_factory, pg_database):
    data = tmp_path_factory.mktemp(f"stack-{request.param}")
    with running_stack(kafka_bootstrap, data, store_url(request.param, data, pg_database)) as stack:
        yield stack


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


def test_three_reports_of_one_strike_in_three_languages_are_one_incident(running):
    """Our own texts: the governor's post in Russian, an English retelling, a Ukrainian outlet."""
    run = uuid.uuid4().hex[:6]
    texts = {
        "ru": "Ночью над Шебекино Белгородской области силы ПВО сбили три беспилотника, сообщил губернатор "
              "Вячеслав Гладков. Повреждён жилой дом.",
        "en": "Air defence forces shot down three drones over Shebekino in the Belgorod region overnight, "
              "governor Vyacheslav Gladkov said. A house was damaged.",
        "uk": "Уночі над Шебекіним Бєлгородської області російська ППО збила три безпілотники, повідомив "
              "губернатор В'ячеслав Гладков. Пошкоджено житловий будинок.",
    }
    ids = set()
    for n, (lang, text) in enumerate(texts.items()):
        body = {"id": f"e2e-inc-{run}-{lang}", "language": lang, "text": text,
                "published_at": f"2026-03-14T0{7 + n}:00:00+03:00"}
        assert running.post(body).status_code == 202
        ids.add(body["id"])
    [incident] = running.incidents(ids)
    assert {c.article_id for c in incident.claims} == ids and incident.sources == 3
    assert (incident.type, incident.weapon, incident.location.admin1_code) == ("interception", "uav", "RU-BEL")
    assert incident.count.value == 3 and incident.damage.value is True


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
