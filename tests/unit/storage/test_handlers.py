"""Storage's handlers: what each message does to the store (a recording fake store)."""
from __future__ import annotations

from services.storage.handlers import (
    handle_article_received,
    handle_dead_letter,
    handle_events_geocoded,
    handle_events_geocoded_many,
    version_of,
)
from shared.kafka.runner import DeadLetter
from tests.builders import make_article_received, make_events_geocoded


class RecordingStore:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def record_received(self, article):
        self.calls.append(("received", article.id))

    async def record_geocoded(self, result):
        self.calls.append(("geocoded", result.article_id, len(result.events)))
        return result.version

    async def record_geocoded_many(self, results):
        self.calls.append(("geocoded_many", [r.article_id for r in results]))
        return [3 if r.article_id == "a-new" else r.version for r in results]

    async def record_failed(self, article_id, reason, version=1):
        self.calls.append(("failed", article_id, reason))
        return version


async def test_each_message_is_written_and_a_stored_article_gets_a_receipt():
    store = RecordingStore()
    assert await handle_article_received(make_article_received(id="a-7"), store=store) == []
    geocoded = make_events_geocoded("a-7")
    [receipt] = await handle_events_geocoded(geocoded, store=store)
    assert store.calls == [("received", "a-7"), ("geocoded", "a-7", 1)]
    assert receipt.key == "a-7" and (receipt.payload.status, receipt.payload.version) == ("processed", 1)
    [again] = await handle_events_geocoded(geocoded, store=store)
    assert again.event_id == receipt.event_id  # a redelivery gives the same receipt id


async def test_a_dead_letter_marks_its_article_failed_with_stage_and_reason():
    store = RecordingStore()
    letter = DeadLetter(key="a-9", value=b"{}", headers={"dlq.reason": "unknown schema_version 7",
                                                         "dlq.service": "geocoding"})
    [receipt] = await handle_dead_letter(letter, store=store)
    assert store.calls == [("failed", "a-9", "geocoding: unknown schema_version 7")]
    assert (receipt.payload.article_id, receipt.payload.status) == ("a-9", "failed")


def test_a_dead_letter_names_the_version_its_bytes_were_about():
    assert version_of(b'{"payload": {"version": 3}}') == 3
    assert version_of(b"\xff not json") == 1 and version_of(None) == 1


async def test_a_dead_letter_without_a_key_cannot_name_an_article_and_is_skipped():
    store = RecordingStore()
    await handle_dead_letter(DeadLetter(key=None, value=b"x", headers={"dlq.reason": "junk"}), store=store)
    assert store.calls == []


async def test_a_batch_of_event_sets_is_written_at_once_with_a_receipt_each_naming_the_version_held():
    store = RecordingStore()
    batch = [make_events_geocoded("a-1"), make_events_geocoded("a-new"), make_events_geocoded("a-2")]
    receipts = await handle_events_geocoded_many(batch, store=store)
    assert store.calls == [("geocoded_many", ["a-1", "a-new", "a-2"])]
    assert [(r.key, r.payload.version) for r in receipts] == [("a-1", 1), ("a-new", 3), ("a-2", 1)]
    assert [r.event_id for r in receipts] == [r.event_id for r in await handle_events_geocoded_many(batch, store=store)]
