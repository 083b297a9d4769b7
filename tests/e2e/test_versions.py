"""An edited post through the whole stack (processes, real broker, SQLite): the same id with a
different text is the report's next version; its events are updated in the store (kept ones keep
their ids, removed ones disappear), the public topic carries the new version with the retracted
ids, and the old version arriving late changes nothing. And a followed Telegram channel (its web
preview on a local server): backfilled through a 429, its posts reach the gateway claimed by the
channel's owner and placed in its region, and its edits and deletions follow them there."""
from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest

from services.ingestion.handlers import to_message
from services.ingestion.schemas import ArticleIn
from shared.kafka.serde import encode
from shared.topics import ARTICLES_RECEIVED, ARTICLES_STORED, EVENTS_GEOCODED
from tests.conftest import store_url
from tests.e2e.stack import Running, running_stack
from tests.kafka_helpers import produce_raw, read_topic
from tests.telegram_preview import PreviewChannel
from tests.unit.ingestion.local_web import serve

pytestmark = pytest.mark.e2e

FIRST = ("Air defence shot down two drones over the Kursk region overnight. Separately, a missile "
         "hit a warehouse in the Belgorod region, the governor said.")
EDITED = "Air defence shot down three drones over the Kursk region overnight, the governor said."
REGISTRY = """channels:
  - {channel: smolensk_gov, owner: Governor Vasily Anokhin, role: regional governor, region: RU-SMO}
  - {channel: mod_russia, owner: Russian Ministry of Defense, role: ministry of defence, region: RU}
"""


@pytest.fixture(scope="module")
def preview():
    """A Telegram channel's web preview on a local server (tests/telegram_preview.py)."""
    server, web = serve()
    channel = PreviewChannel("smolensk_gov", "Губернатор Смоленской области", page_size=3, retry_after_s=1)
    channel.serve(web)
    yield channel
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def running(kafka_bootstrap, tmp_path_factory, pg_database, preview):
    data = tmp_path_factory.mktemp("versions")
    (data / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    (data / "channels.yaml").write_text("channels:\n  - {name: smolensk_gov, backfill_from_id: 1, interval_s: 3600}\n",
                                        encoding="utf-8")
    ingestion = {"INGESTION_TELEGRAM_PREVIEW_URL": preview.base, "INGESTION_FETCH_ALLOW_PRIVATE": "true",
                 "INGESTION_CHANNEL_REGISTRY_FILE": str(data / "registry.yaml"),
                 "INGESTION_CHANNELS_FILE": str(data / "channels.yaml"), "INGESTION_CHANNEL_PAGE_DELAY_S": "0"}
    with running_stack(kafka_bootstrap, data, store_url("sqlite", data, pg_database),
                       service_env={"ingestion": ingestion}) as stack:
        yield stack


def wait_events(running: Running, article_id: str, check, timeout_s: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    evs: list[dict] = []
    while time.monotonic() < deadline:
        evs = running.events(article_id=article_id)
        if check(evs):
            return evs
        time.sleep(0.2)
    raise AssertionError(f"events of {article_id} never got there: {evs}")


def geocoded_messages(running: Running, article_id: str, expect: int) -> list[dict]:
    records = asyncio.run(read_topic(running.settings, EVENTS_GEOCODED, expect=10_000, timeout_s=3))
    out = [json.loads(r.value) for r in records if r.key == article_id.encode()]
    assert len(out) >= expect, out
    return out


def test_an_edit_updates_the_events_and_publishes_the_retraction_and_a_late_old_version_is_ignored(running):
    article_id = f"edit-{uuid.uuid4().hex[:8]}"
    assert running.post({"id": article_id, "text": FIRST, "language": "en"}).status_code == 202
    first = wait_events(running, article_id, lambda evs: len(evs) == 2)
    kursk = next(e for e in first if e["location"]["admin1_code"] == "RU-KRS")
    belgorod = next(e for e in first if e["location"]["admin1_code"] == "RU-BEL")
    assert kursk["count"] == 2

    edit = running.post({"id": article_id, "text": EDITED, "language": "en"})
    assert edit.status_code == 202 and edit.json()["status"] == "accepted"
    [updated] = wait_events(running, article_id, lambda evs: len(evs) == 1 and evs[0]["count"] == 3)
    assert updated["id"] == kursk["id"]  # the same incident, updated in place

    v1, v2 = geocoded_messages(running, article_id, expect=2)[:2]
    assert (v1["payload"]["version"], v1["payload"]["retracted"]) == (1, [])
    assert v2["payload"]["version"] == 2 and v2["payload"]["retracted"] == [belgorod["id"]]
    assert [e["id"] for e in v2["payload"]["events"]] == [kursk["id"]]

    # The first version shows up again late (a redelivery): it flows through, and changes nothing.
    late = to_message(ArticleIn(id=article_id, text=FIRST, language="en"))  # version 1 again
    asyncio.run(produce_raw(running.settings, ARTICLES_RECEIVED, [(article_id.encode(), encode(late))]))
    geocoded_messages_until(running, article_id, 3)
    receipts_until(running, article_id, 3)
    assert running.events(article_id=article_id) == [updated]
    assert running.article(article_id)["text"] == EDITED


def geocoded_messages_until(running: Running, article_id: str, n: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        records = asyncio.run(read_topic(running.settings, EVENTS_GEOCODED, expect=10_000, timeout_s=1))
        if sum(r.key == article_id.encode() for r in records) >= n:
            return
    raise AssertionError("the late version never reached the public topic")


def receipts_until(running: Running, article_id: str, n: int) -> list[dict]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        records = asyncio.run(read_topic(running.settings, ARTICLES_STORED, expect=10_000, timeout_s=1))
        mine = [json.loads(r.value)["payload"] for r in records if r.key == article_id.encode()]
        if len(mine) >= n:
            assert mine[-1]["version"] == 2  # the store still holds version 2
            return mine
    raise AssertionError("storage never answered the late version")


def channel_poll(running: Running, name: str) -> dict:
    resp = httpx.post(f"{running.ingest}/v1/admin/channels/{name}/poll", timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def until(check, what: str, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} never happened")


def test_a_followed_channel_reaches_the_gateway_claimed_by_its_owner_in_its_region(running, preview):
    preview.post(1, "Dear Smolensk residents, one UAV was destroyed by air defence tonight.")
    preview.post(2, media=True)
    preview.post(3, service="Channel photo updated")
    preview.post(4, "Air defence destroyed two drones over the Bryansk region overnight.",
                 forwarded_from=("mod_russia", "Минобороны России"))
    preview.post(5, "A drone was shot down over the Vyazemsky district at night.")
    preview.post(6, "Two drones were shot down over the Roslavl district tonight.")
    preview.flood(before=4)  # the backfill's second page answers 429 once
    first = channel_poll(running, "smolensk_gov")
    assert first["status"] == "flood_wait" and first["accepted"] == 3  # 4, 5, 6; its place is kept
    resumed = channel_poll(running, "smolensk_gov")
    assert resumed["status"] == "ok" and resumed["accepted"] == 1  # 1; the rest are not taken again
    assert (resumed["skipped_media"], resumed["skipped_service"]) == (1, 1)

    ids = {n: f"telegram:smolensk_gov:{n}" for n in range(1, 8)}
    [governor] = running.article(ids[1])["events"]
    assert governor["claimed_by"] == "Governor Vasily Anokhin" and governor["count"] == 1
    assert (governor["location"]["admin1_code"], governor["location"]["precision"]) == ("RU-SMO", "admin1")
    [forwarded] = running.article(ids[4])["events"]
    assert forwarded["claimed_by"] == "Russian Ministry of Defense"
    assert forwarded["location"]["admin1_code"] == "RU-BRY"
    assert running.article(ids[5])["events"][0]["location"]["admin1_code"] == "RU-SMO"
    assert running.article(ids[6])["version"] == 1
    state = httpx.get(f"{running.ingest}/v1/admin/channels/smolensk_gov", timeout=5).json()
    assert (state["taken"], state["last_post_id"], state["error_count"]) == (4, 6, 0)

    preview.edit(6, "Three drones were shot down over the Roslavl district tonight.")
    preview.delete(5)
    preview.post(7, "One more drone was shot down over the Roslavl district.")
    later = channel_poll(running, "smolensk_gov")
    assert (later["edited"], later["deleted"], later["accepted"]) == (1, 1, 1)
    edited = until(lambda: (d := running.article(ids[6]))["version"] == 2 and d["status"] == "processed" and d,
                   "the edit at the gateway")
    assert [e["count"] for e in edited["events"]] == [3]
    deleted = until(lambda: (d := running.article(ids[5]))["status"] == "retracted" and d, "the retraction")
    assert deleted["events"] == [] and deleted["version"] == 2
    assert running.events(article_id=ids[5]) == []
    assert running.article(ids[7])["events"][0]["claimed_by"] == "Governor Vasily Anokhin"
