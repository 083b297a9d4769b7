"""Storage's handlers: what each message does to the store (a recording fake store)."""
from __future__ import annotations

from services.storage.handlers import handle_article_received, handle_dead_letter, handle_events_geocoded
from shared.kafka.runner import DeadLetter
from tests.builders import make_article_received, make_events_geocoded


class RecordingStore:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def record_received(self, article):
        self.calls.append(("received", article.id))

    async def record_geocoded(self, result):
        self.calls.append(("geocoded", result.article_id, len(result.events)))

    async def record_failed(self, article_id, reason):
        self.calls.append(("failed", article_id, reason))


async def test_each_message_is_written_and_nothing_is_published():
    store = RecordingStore()
    assert await handle_article_received(make_article_received(id="a-7"), store=store) == []
    assert await handle_events_geocoded(make_events_geocoded("a-7"), store=store) == []
    assert store.calls == [("received", "a-7"), ("geocoded", "a-7", 1)]


async def test_a_dead_letter_marks_its_article_failed_with_stage_and_reason():
    store = RecordingStore()
    letter = DeadLetter(key="a-9", value=b"{}", headers={"dlq.reason": "unknown schema_version 7",
                                                         "dlq.service": "geocoding"})
    await handle_dead_letter(letter, store=store)
    assert store.calls == [("failed", "a-9", "geocoding: unknown schema_version 7")]


async def test_a_dead_letter_without_a_key_cannot_name_an_article_and_is_skipped():
    store = RecordingStore()
    await handle_dead_letter(DeadLetter(key=None, value=b"x", headers={"dlq.reason": "junk"}), store=store)
    assert store.calls == []
