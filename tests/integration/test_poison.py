"""Poison written straight into each consumed topic, against the real local broker and each
service's own runner wiring: bytes that are not JSON, JSON of the wrong schema and a schema_version
from the future each end in that service's dead-letter topic with the reason, and the good record
behind them is still processed. A burst of dead letters, even mixed with good records, stops the
service instead of dead-lettering everything."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from services.extraction.app import build_runner as extraction_runner
from services.extraction.settings import ExtractionSettings
from services.geocoding.app import build_runner as geocoding_runner
from services.geocoding.settings import GeocodingSettings
from services.ingestion.adapters.outbox import SqlOutbox
from services.ingestion.delivery import build_receipts_runner
from services.ingestion.handlers import accept, to_message
from services.ingestion.schemas import ArticleIn
from services.ingestion.settings import IngestionSettings
from services.storage.adapters.sql import SqlIncidentStore, make_engine
from services.storage.app import build_runner as storage_runner
from services.storage.migrations import upgrade
from services.storage.settings import StorageSettings
from shared.kafka.errors import DlqLimitExceeded
from shared.kafka.runner import Runner
from shared.kafka.serde import encode
from shared.messages import (
    ArticleStored,
    ExtractionResult,
    Location,
    Message,
    PlacesExtracted,
    StoredArticle,
)
from shared.topics import (
    ARTICLES_EXTRACTED,
    ARTICLES_RECEIVED,
    ARTICLES_STORED,
    DLQ_FOR_SERVICE,
    EVENTS_GEOCODED,
    Topic,
)
from tests.builders import make_article_received, make_events_geocoded
from tests.kafka_helpers import counted, create_topics, produce_raw, read_topic, wait_for

pytestmark = pytest.mark.integration


class EchoExtractor:
    def extract(self, *, article_id, text, title, language, published_at, source=None):
        return ExtractionResult(article_id=article_id, language=language or "en", source=source)


class NowhereGeocoder:
    def resolve(self, places, *, language, text=""):
        return [Location(mention=p.text, reason="test") for p in places]


class NullPublisher:
    async def publish_many(self, messages, timeout_s=None) -> None:
        return None


@dataclass
class Case:
    service: str
    topic: Topic  # where the poison goes
    good: Message  # a valid record written after the poison
    runner: Runner
    processed: Callable[[], Awaitable[bool]]  # the good record had its effect


async def extraction_case(settings_factory, tmp_path) -> Case:
    settings = settings_factory(ExtractionSettings)
    good = make_article_received(id="good-1", text="A drone was downed.")

    async def processed() -> bool:
        return len(await read_topic(settings, ARTICLES_EXTRACTED, expect=1, timeout_s=0.5)) == 1

    return Case("extraction", ARTICLES_RECEIVED, good, extraction_runner(settings, extractor=EchoExtractor()),
                processed)


async def geocoding_case(settings_factory, tmp_path) -> Case:
    settings = settings_factory(GeocodingSettings)
    good = PlacesExtracted.create(producer="test", correlation_id="good-1",
                                  payload=ExtractionResult(article_id="good-1", language="en"))

    async def processed() -> bool:
        return len(await read_topic(settings, EVENTS_GEOCODED, expect=1, timeout_s=0.5)) == 1

    return Case("geocoding", ARTICLES_EXTRACTED, good, geocoding_runner(settings, geocoder=NowhereGeocoder()),
                processed)


async def storage_case(settings_factory, tmp_path) -> Case:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    settings = settings_factory(StorageSettings, database_url=url)
    engine = make_engine(url)

    async def processed() -> bool:
        receipts = await read_topic(settings, ARTICLES_STORED, expect=1, timeout_s=0.5)
        return [json.loads(r.value)["payload"]["article_id"] for r in receipts] == ["good-1"]

    return Case("storage", EVENTS_GEOCODED, make_events_geocoded("good-1"),
                storage_runner(settings, store=SqlIncidentStore(engine)), processed)


async def ingestion_case(settings_factory, tmp_path) -> Case:
    settings = settings_factory(IngestionSettings)
    outbox = SqlOutbox(f"sqlite:///{tmp_path / 'outbox.db'}")
    await accept(to_message(ArticleIn(id="good-1", text="Debris fell in Kursk.")), outbox=outbox,
                 publisher=NullPublisher())
    good = ArticleStored.create(producer="test", correlation_id="good-1",
                                payload=StoredArticle(article_id="good-1", status="processed"))

    async def processed() -> bool:
        return outbox.state("good-1")["stored_at"] is not None

    return Case("ingestion", ARTICLES_STORED, good, build_receipts_runner(settings, outbox), processed)


CASES = {"extraction": extraction_case, "geocoding": geocoding_case, "storage": storage_case,
         "ingestion": ingestion_case}


def poison(topic: Topic) -> list[tuple[bytes, bytes]]:
    model = topic.model
    assert model is not None
    wrong_schema = {"event_type": model.EVENT_TYPE, "schema_version": 1, "event_id": "x", "producer": "test",
                    "correlation_id": "p-schema", "payload": {"what": "not this topic's payload"}}
    too_new = {"event_type": model.EVENT_TYPE, "schema_version": model.SCHEMA_VERSION + 1}
    return [(b"p-junk", b"\xff\xfe not json at all"), (b"p-schema", json.dumps(wrong_schema).encode()),
            (b"p-new", json.dumps(too_new).encode())]


@pytest.mark.parametrize("service", list(CASES))
async def test_poison_in_each_consumed_topic_is_dead_lettered_with_its_reason_and_the_service_goes_on(
        service, settings_factory, tmp_path):
    case = await CASES[service](settings_factory, tmp_path)
    settings = case.runner.settings
    await create_topics(settings)
    await produce_raw(settings, case.topic, [*poison(case.topic), (case.good.key.encode(), encode(case.good))])
    stop = asyncio.Event()
    task = asyncio.create_task(case.runner.run(stop))
    try:
        dead = await read_topic(settings, DLQ_FOR_SERVICE[service], expect=3, timeout_s=30)
        await wait_for(case.processed, timeout_s=30)
        assert not task.done()  # still running
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    reasons = {r.key: dict(r.headers)["dlq.reason"].decode() for r in dead}
    assert "not valid UTF-8 JSON" in reasons[b"p-junk"]
    assert f"invalid {case.topic.model.__name__}" in reasons[b"p-schema"] and "payload" in reasons[b"p-schema"]
    assert f"unknown schema_version {case.topic.model.SCHEMA_VERSION + 1}" in reasons[b"p-new"]
    assert {dict(r.headers)["dlq.service"] for r in dead} == {service.encode()}
    assert next(r for r in dead if r.key == b"p-junk").value == b"\xff\xfe not json at all"


async def test_a_burst_of_dead_letters_mixed_with_good_records_stops_the_service(settings_factory, tmp_path):
    settings = settings_factory(ExtractionSettings, dlq_max_consecutive=100, dlq_max_per_window=5,
                                dlq_window_s=600)
    await create_topics(settings)
    records = []
    for i in range(10):  # never two dead letters in a row
        good = make_article_received(id=f"ok-{i}", text=f"report {i}")
        records += [(f"bad-{i}".encode(), b"junk"), (good.key.encode(), encode(good))]
    await produce_raw(settings, ARTICLES_RECEIVED, records)
    runner = extraction_runner(settings, extractor=EchoExtractor())
    with pytest.raises(DlqLimitExceeded, match="6 dead letters within 600s"):
        await asyncio.wait_for(runner.run(asyncio.Event()), 30)
    assert counted(runner, "dead_lettered") == 6


async def test_dead_letters_spread_out_over_time_do_not_stop_the_service(settings_factory, tmp_path):
    settings = settings_factory(ExtractionSettings, dlq_max_consecutive=100, dlq_max_per_window=2,
                                dlq_window_s=0.5)
    await create_topics(settings)
    runner = extraction_runner(settings, extractor=EchoExtractor())
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await asyncio.wait_for(runner.started.wait(), 30)
        for i in range(4):  # two at a time, the window apart: never more than two within it
            await produce_raw(settings, ARTICLES_RECEIVED, [(b"bad", b"junk"), (b"bad", b"junk")])
            await wait_for(lambda i=i: counted(runner, "dead_lettered") == 2 * (i + 1), timeout_s=30)
            await asyncio.sleep(0.6)
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
