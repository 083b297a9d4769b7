"""Ingestion's side of "nothing lost, nothing duplicated": the outbox keeps each accepted report
until storage's receipt arrives, re-publishes what is overdue with a growing delay, gives up
(visibly) after the maximum number of publications, and turns an edited post into the report's
next version."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from services.ingestion.adapters.outbox import SqlOutbox, outbox
from services.ingestion.handlers import (
    accept,
    accept_many,
    handle_article_stored,
    handle_articles_stored,
    relay_once,
    to_message,
)
from services.ingestion.schemas import ArticleIn
from shared.messages import ArticleStored, StoredArticle
from tests.unit.ingestion.fakes import RecordingPublisher


@pytest.fixture
def box(tmp_path):
    b = SqlOutbox(f"sqlite:///{tmp_path / 'outbox.db'}", redeliver_after_s=60, max_attempts=3)
    yield b
    b.close()


def post(text: str, article_id: str = "r-1"):
    return to_message(ArticleIn(id=article_id, text=text))


def receipt(article_id: str, version: int) -> ArticleStored:
    return ArticleStored.create(producer="storage", correlation_id=article_id,
                                payload=StoredArticle(article_id=article_id, version=version, status="processed"))


def make_due(box: SqlOutbox, article_id: str) -> None:
    """Move the row's next attempt into the past, as if its delay had passed."""
    with box.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == article_id)
                     .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))


async def test_a_published_report_without_a_receipt_is_republished_once_overdue(box):
    pub = RecordingPublisher()
    await accept(post("Two drones downed over Kursk."), outbox=box, publisher=pub)
    assert await relay_once(outbox=box, publisher=pub, older_than_s=0) == 0  # not overdue yet
    assert (await box.counts())["pending"] == 1
    make_due(box, "r-1")
    assert (await box.counts())["overdue"] == 1
    assert await relay_once(outbox=box, publisher=pub, older_than_s=0) == 1
    assert [m.payload.id for m in pub.sent] == ["r-1", "r-1"]
    state = box.state("r-1")
    assert state["attempts"] == 2
    # the second wait is twice the first
    assert state["next_attempt_at"] - state["published_at"] == timedelta(seconds=120)


async def test_a_receipt_retires_the_report_and_nothing_more_is_republished(box):
    pub = RecordingPublisher()
    await accept(post("A missile hit a depot in Bryansk."), outbox=box, publisher=pub)
    await handle_article_stored(receipt("r-1", 1), outbox=box)
    make_due(box, "r-1")
    assert await relay_once(outbox=box, publisher=pub, older_than_s=0) == 0
    assert await box.counts() == {"pending": 0, "unpublished": 0, "overdue": 0, "gave_up": 0}
    await handle_article_stored(receipt("r-1", 1), outbox=box)  # a redelivered receipt changes nothing
    assert box.state("r-1")["stored_at"] is not None


async def test_after_the_maximum_publications_the_report_is_given_up_and_counted(box, caplog):
    pub = RecordingPublisher()
    await accept(post("Debris fell on a house in Voronezh."), outbox=box, publisher=pub)
    for _ in range(2):
        make_due(box, "r-1")
        assert await relay_once(outbox=box, publisher=pub, older_than_s=0) == 1
    make_due(box, "r-1")
    assert await relay_once(outbox=box, publisher=pub, older_than_s=0) == 0
    assert len(pub.sent) == 3
    assert (await box.counts())["gave_up"] == 1 and (await box.counts())["pending"] == 0
    assert "giving up" in caplog.text


async def test_an_edited_post_is_the_next_version_carrying_the_text_it_replaces(box):
    pub = RecordingPublisher()
    assert await accept(post("Three drones downed over Belgorod."), outbox=box, publisher=pub) == ("r-1", True)
    assert await accept(post("three drones downed over  Belgorod."), outbox=box, publisher=pub) == ("r-1", False)
    assert await accept(post("Five drones downed over Belgorod."), outbox=box, publisher=pub) == ("r-1", True)
    first, second = pub.sent
    assert (first.payload.version, first.payload.previous_text) == (1, None)
    assert (second.payload.version, second.payload.previous_text) == (2, "Three drones downed over Belgorod.")
    # the old version's receipt does not retire the new version
    await handle_article_stored(receipt("r-1", 1), outbox=box)
    assert box.state("r-1")["stored_at"] is None
    await handle_article_stored(receipt("r-1", 2), outbox=box)
    assert box.state("r-1")["stored_at"] is not None


async def test_another_reports_text_under_a_known_id_is_a_duplicate_of_that_report(box):
    pub = RecordingPublisher()
    await accept(post("Drone attack on Kharkiv.", "a"), outbox=box, publisher=pub)
    await accept(post("Missile attack on Odesa.", "b"), outbox=box, publisher=pub)
    assert await accept(post("Drone attack on Kharkiv.", "b"), outbox=box, publisher=pub) == ("a", False)


async def test_a_report_the_broker_never_took_is_published_by_the_relay_and_never_given_up(box):
    pub = RecordingPublisher()
    pub.down = True
    assert await accept(post("Drone downed over Tula."), outbox=box, publisher=pub) == ("r-1", True)
    assert (await box.counts())["unpublished"] == 1
    for _ in range(5):
        with pytest.raises(ConnectionError):
            await relay_once(outbox=box, publisher=pub, older_than_s=0)
    pub.down = False
    assert await relay_once(outbox=box, publisher=pub, older_than_s=0) == 1
    assert box.state("r-1")["attempts"] == 1


def test_an_outbox_written_before_these_columns_existed_is_upgraded_in_place(tmp_path):
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE outbox (id VARCHAR(200) PRIMARY KEY, content_hash VARCHAR(64) NOT NULL "
                          "UNIQUE, received_at DATETIME NOT NULL, message TEXT NOT NULL, published_at DATETIME)"))
        conn.execute(text("INSERT INTO outbox VALUES ('old', 'h', '2026-01-01 00:00:00', '{}', NULL)"))
    engine.dispose()
    box = SqlOutbox(url)
    try:
        assert box.state("old")["version"] == 1 and box.state("old")["attempts"] == 0
    finally:
        box.close()



async def test_a_batch_of_receipts_retires_every_report_it_names_but_not_a_newer_version(box):
    pub = RecordingPublisher()
    for i in range(4):
        await accept(post(f"Drone number {i} downed over Kursk.", f"r-{i}"), outbox=box, publisher=pub)
    await accept(post("Drone number 3 downed over Kursk, and one more.", "r-3"), outbox=box, publisher=pub)  # v2
    # a consumer batch: r-0 twice (a redelivery), r-3's receipt for the version it replaced, r-9 unknown
    await handle_articles_stored([receipt("r-0", 1), receipt("r-1", 1), receipt("r-0", 1), receipt("r-2", 1),
                                  receipt("r-3", 1), receipt("r-9", 1)], outbox=box)
    assert [box.state(f"r-{i}")["stored_at"] is not None for i in range(4)] == [True, True, True, False]
    assert (await box.counts())["pending"] == 1
    await handle_articles_stored([receipt("r-3", 2)], outbox=box)
    assert (await box.counts())["pending"] == 0


async def test_a_batch_is_judged_in_order_like_reports_posted_one_by_one(box):
    pub = RecordingPublisher()
    await accept(post("A drone hit a depot in Bryansk.", "old"), outbox=box, publisher=pub)
    batch = [post("Two drones over Tula.", "b-1"),
             post("two drones   over Tula.", "b-2"),  # the same text as b-1: a duplicate of it
             post("Three drones over Tula.", "b-1"),  # b-1 edited within the batch: its version 2
             post("Two drones over Tula.", "b-3"),  # b-1's first text is free again after the edit
             post("A drone hit a depot in Bryansk.", "b-4"),  # already in the outbox under another id
             post("A drone hit a fuel depot in Bryansk.", "old")]  # an edit of an earlier report
    assert await accept_many(batch, outbox=box, publisher=pub) == [
        ("b-1", True), ("b-1", False), ("b-1", True), ("b-3", True), ("old", False), ("old", True)]
    sent = [(m.payload.id, m.payload.version, m.payload.previous_text) for m in pub.sent[1:]]
    assert sent == [("b-1", 1, None), ("b-1", 2, "Two drones over Tula."), ("b-3", 1, None),
                    ("old", 2, "A drone hit a depot in Bryansk.")]
    assert {i: box.state(i)["version"] for i in ("b-1", "b-3", "old")} == {"b-1": 2, "b-3": 1, "old": 2}
    assert box.state("b-2") is None and box.state("b-4") is None
    # every version the outbox still holds was marked published; nothing is left for the relay
    assert all(box.state(i)["attempts"] == 1 for i in ("b-1", "b-3", "old"))
    assert await relay_once(outbox=box, publisher=pub, older_than_s=0) == 0
