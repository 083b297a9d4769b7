"""An edited post through the whole stack (processes, real broker, SQLite): the same id with a
different text is the report's next version; its events are updated in the store (kept ones keep
their ids, removed ones disappear), the public topic carries the new version with the retracted
ids, and the old version arriving late changes nothing."""
from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest

from services.ingestion.handlers import to_message
from services.ingestion.schemas import ArticleIn
from shared.kafka.serde import encode
from shared.topics import ARTICLES_RECEIVED, ARTICLES_STORED, EVENTS_GEOCODED
from tests.conftest import store_url
from tests.e2e.stack import Running, running_stack
from tests.kafka_helpers import produce_raw, read_topic

pytestmark = pytest.mark.e2e

FIRST = ("Air defence shot down two drones over the Kursk region overnight. Separately, a missile "
         "hit a warehouse in the Belgorod region, the governor said.")
EDITED = "Air defence shot down three drones over the Kursk region overnight, the governor said."


@pytest.fixture(scope="module")
def running(kafka_bootstrap, tmp_path_factory, pg_database):
    data = tmp_path_factory.mktemp("versions")
    with running_stack(kafka_bootstrap, data, store_url("sqlite", data, pg_database)) as stack:
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
