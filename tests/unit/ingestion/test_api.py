"""The ingestion API: what callers see for good, duplicate and bad reports, and that an accepted
report survives a broker that is not taking messages."""
from __future__ import annotations

import httpx
import pytest

from services.ingestion.adapters.outbox import SqlOutbox
from services.ingestion.api import create_app
from services.ingestion.handlers import relay_once
from services.ingestion.settings import IngestionSettings
from tests.unit.ingestion.fakes import RecordingPublisher


@pytest.fixture
def publisher():
    return RecordingPublisher()


@pytest.fixture
def outbox(tmp_path):
    box = SqlOutbox(f"sqlite:///{tmp_path / 'ingestion.db'}")
    yield box
    box.close()


@pytest.fixture
async def client(tmp_path, publisher, outbox):
    settings = IngestionSettings(_env_file=None, ingestion_max_body_bytes=5000, ingestion_max_batch_items=3)
    app = create_app(settings, outbox=outbox, publisher=publisher)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://in") as c:
            yield c


async def test_new_report_is_accepted_and_published_keyed_by_its_id(client, publisher):
    resp = await client.post("/v1/articles", json={"id": "r-1", "text": "Drone shot down over Kursk.",
                                                   "published_at": "2026-03-14T08:00:00+03:00", "language": "en"})
    assert resp.status_code == 202 and resp.json() == {"id": "r-1", "status": "accepted"}
    [msg] = publisher.sent
    assert msg.key == "r-1" and msg.payload.text == "Drone shot down over Kursk."
    assert msg.payload.published_at.utcoffset().total_seconds() == 3 * 3600


async def test_same_id_or_same_text_again_is_a_duplicate(client, publisher):
    first = await client.post("/v1/articles", json={"text": "Three drones over Belgorod."})
    assert first.status_code == 202
    derived = first.json()["id"]
    again = await client.post("/v1/articles", json={"text": "  three drones over\nBelgorod.  "})
    assert again.status_code == 200 and again.json() == {"id": derived, "status": "duplicate"}
    assert len(publisher.sent) == 1
    # the same id with a different text is an edit: accepted as the report's next version
    edited = await client.post("/v1/articles", json={"id": derived, "text": "Four drones over Belgorod."})
    assert edited.status_code == 202 and edited.json()["status"] == "accepted"
    assert [m.payload.version for m in publisher.sent] == [1, 2]


@pytest.mark.parametrize("body, fragment", [
    ({}, "text: Field required"),
    ({"text": ""}, "text"),
    ({"text": "   \n "}, "text must not be empty"),
    ({"text": 42}, "text: Input should be a valid string"),
    ({"text": "x", "language": "de"}, "language"),
    ({"text": "x", "published_at": "last tuesday"}, "published_at"),
    ({"text": "x", "id": "has spaces in it"}, "id"),
    ({"text": "x", "colour": "red"}, "colour: Extra inputs are not permitted"),
])
async def test_bad_reports_get_422_naming_the_problem(client, publisher, body, fragment):
    resp = await client.post("/v1/articles", json=body)
    assert resp.status_code == 422
    assert fragment in resp.json()["error"]
    assert publisher.sent == []


async def test_body_that_is_not_json_is_rejected(client):
    resp = await client.post("/v1/articles", content=b"\xff\xfe{", headers={"content-type": "application/json"})
    assert resp.status_code == 400 and "parsing the body" in resp.json()["error"]


async def test_oversized_body_gets_413_with_the_limit(client, publisher):
    resp = await client.post("/v1/articles", json={"text": "x" * 6000})
    assert resp.status_code == 413 and "5000 bytes" in resp.json()["error"]
    assert publisher.sent == []


async def test_batch_reports_each_item_on_its_own(client, publisher):
    resp = await client.post("/v1/articles/batch", json={"articles": [
        {"id": "b-1", "text": "Drone hit a depot in Bryansk."}, {"text": ""},
        {"id": "b-1", "text": "drone hit a depot in  Bryansk."}]})
    assert resp.status_code == 200
    body = resp.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (1, 1, 1)
    assert body["results"][1]["status"] == "rejected" and "text" in body["results"][1]["error"]
    assert [m.payload.id for m in publisher.sent] == ["b-1"]


async def test_batch_over_the_item_limit_is_refused(client):
    resp = await client.post("/v1/articles/batch", json={"articles": [{"text": f"r {i}"} for i in range(4)]})
    assert resp.status_code == 413 and "limit is 3" in resp.json()["error"]


async def test_report_accepted_while_the_broker_is_down_is_published_by_the_relay(client, publisher, outbox):
    publisher.down = True
    resp = await client.post("/v1/articles", json={"id": "r-late", "text": "Debris fell in Voronezh."})
    assert resp.status_code == 202 and publisher.sent == []
    publisher.down = False
    assert await relay_once(outbox=outbox, publisher=publisher, older_than_s=0) == 1
    assert [m.payload.id for m in publisher.sent] == ["r-late"]
    assert await relay_once(outbox=outbox, publisher=publisher, older_than_s=0) == 0


async def test_readyz_and_metrics_show_what_the_outbox_still_holds(client, publisher):
    publisher.down = True
    await client.post("/v1/articles", json={"id": "r-held", "text": "A drone hit a substation in Sumy."})
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["outbox"] == {"pending": 1, "unpublished": 1, "overdue": 0, "gave_up": 0}
    metrics = (await client.get("/metrics")).text
    assert 'dronewatch_outbox_reports{service="ingestion",state="unpublished"} 1.0' in metrics


async def test_batch_with_repeats_inside_one_request_answers_each_as_if_posted_one_by_one(tmp_path, publisher, outbox):
    settings = IngestionSettings(_env_file=None, ingestion_max_batch_items=10)
    app = create_app(settings, outbox=outbox, publisher=publisher)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://in") as c:
            resp = await c.post("/v1/articles/batch", json={"articles": [
                {"id": "d-1", "text": "Missile strike on a bridge near Zaporizhzhia."},
                {"id": "d-2", "text": "missile strike on a bridge near  Zaporizhzhia."},
                {"id": "d-1", "text": "Missile strike on a bridge near Zaporizhzhia.", "title": "again"},
                {"text": 7},
                {"id": "d-3", "text": "Drone debris fell on a school in Kharkiv."}]})
    body = resp.json()
    assert resp.status_code == 200 and (body["accepted"], body["duplicate"], body["rejected"]) == (2, 2, 1)
    assert [(r["index"], r["status"], r.get("id")) for r in body["results"]] == [
        (0, "accepted", "d-1"), (1, "duplicate", "d-1"), (2, "duplicate", "d-1"), (3, "rejected", None),
        (4, "accepted", "d-3")]
    assert [m.payload.id for m in publisher.sent] == ["d-1", "d-3"]


async def test_the_app_can_be_started_twice(tmp_path, publisher, outbox):
    """A second lifespan on the same app (a test client re-entering it, a server restarted in
    process) must not fail on metrics registered the first time."""
    app = create_app(IngestionSettings(_env_file=None), outbox=outbox, publisher=publisher)
    for _ in range(2):
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://in") as c:
                assert (await c.get("/readyz")).status_code == 200
                assert "dronewatch_outbox_reports" in (await c.get("/metrics")).text
