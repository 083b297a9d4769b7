"""The new sources against real parts: feed items and Telegram posts published to the local
broker by the ingestion service, and their provenance (channel, author, fetched_at, origin,
detected language, near-duplicate link) kept by storage on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from services.ingestion.adapters.outbox import SqlOutbox
from services.ingestion.api import create_app
from services.ingestion.settings import IngestionSettings
from services.storage.adapters.sql import SqlIncidentStore, make_engine
from shared.store.tables import articles
from shared.topics import ARTICLES_RECEIVED
from tests.builders import make_article
from tests.kafka_helpers import create_topics, read_topic
from tests.unit.ingestion.local_web import serve
from tests.unit.ingestion.test_feeds import LONG_BODY, rss

pytestmark = pytest.mark.integration


@pytest.fixture
def web():
    server, site = serve()
    yield site
    server.shutdown()
    server.server_close()


async def test_feed_items_and_telegram_posts_reach_the_broker(settings_factory, web, tmp_path):
    settings = settings_factory(IngestionSettings, ingestion_db_url=f"sqlite:///{tmp_path / 'in.db'}",
                                ingestion_feeds_enabled=False, ingestion_fetch_allow_private=True)
    await create_topics(settings)
    url = web.put("/rss.xml", rss([("k1", "Night over the port", LONG_BODY)]), content_type="application/rss+xml",
                  etag='"e1"')
    app = create_app(settings, outbox=SqlOutbox(settings.ingestion_db_url))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://in") as client:
            feed = (await client.post("/v1/admin/feeds", json={"url": url, "name": "port-news"})).json()
            assert (await client.post(f"/v1/admin/feeds/{feed['id']}/poll")).json()["accepted"] == 1
            assert (await client.post(f"/v1/admin/feeds/{feed['id']}/poll")).json()["status"] == "not_modified"
            post = await client.post("/v1/telegram/posts", json={
                "channel": "portwatch", "message_id": 5, "date": "2026-10-08T03:00:00Z",
                "text": "Над портом ночью сбили два беспилотника, пострадавших нет."})
            assert post.status_code == 202
    records = await read_topic(settings, ARTICLES_RECEIVED, expect=2)
    payloads = {json.loads(r.value)["payload"]["origin"]: json.loads(r.value)["payload"] for r in records}
    assert set(payloads) == {"feed", "telegram"} and len(records) == 2
    assert payloads["feed"]["channel"] == "port-news" and payloads["feed"]["detected_language"] == "en"
    assert payloads["telegram"]["id"] == "telegram:portwatch:5" and payloads["telegram"]["detected_language"] == "ru"
    assert {r.key.decode() for r in records} == {payloads["feed"]["id"], "telegram:portwatch:5"}


async def test_storage_keeps_the_provenance_of_a_report(db_url):
    engine = make_engine(db_url)
    store = SqlIncidentStore(engine)
    fetched = datetime(2026, 10, 8, 5, 0, tzinfo=UTC)
    await store.record_received(make_article(
        id="telegram:portwatch:6", channel="Port Watch", author="duty officer", fetched_at=fetched, origin="telegram",
        detected_language="ru", language_confidence=0.97, near_duplicate_of="telegram:portwatch:5"))
    with engine.connect() as conn:
        row = conn.execute(select(articles).where(articles.c.id == "telegram:portwatch:6")).one()
    engine.dispose()
    assert (row.channel, row.author, row.origin) == ("Port Watch", "duty officer", "telegram")
    assert (row.detected_language, row.language_confidence) == ("ru", 0.97)
    assert row.near_duplicate_of == "telegram:portwatch:5"
    assert row.fetched_at.replace(tzinfo=row.fetched_at.tzinfo or UTC) == fetched


@pytest.fixture(params=["sqlite", "postgresql"])
def ingestion_engine(request, tmp_path, pg_database):
    from sqlalchemy import create_engine

    from services.ingestion.adapters import channel_store, feed_store, post_stamps
    from tests.conftest import store_url

    engine = create_engine(store_url(request.param, tmp_path, pg_database))
    yield engine
    for meta in (feed_store.metadata, post_stamps.metadata, channel_store.metadata):
        meta.drop_all(engine)
    engine.dispose()


async def test_feed_schedule_and_post_edit_times_are_kept_on_sqlite_and_postgresql(ingestion_engine):
    from datetime import timedelta

    from services.ingestion.adapters.feed_store import SqlFeedStore
    from services.ingestion.adapters.post_stamps import SqlPostStamps

    feeds = SqlFeedStore(ingestion_engine)
    now = datetime.now(UTC)
    await feeds.add("feed-a", {"url": "http://127.0.0.1:1/a.xml", "interval_s": 60.0, "enabled": True})
    await feeds.add("feed-b", {"url": "http://127.0.0.1:1/b.xml", "interval_s": 60.0, "enabled": True})
    await feeds.record_poll("feed-b", next_poll_at=now + timedelta(minutes=5), etag='"x"', error_count=0)
    assert [f["id"] for f in await feeds.due(now + timedelta(seconds=1))] == ["feed-a"]
    assert (await feeds.next_due_at()) <= now + timedelta(seconds=1)
    await feeds.remember_item("feed-a", "k", "fp1", "feed:a:1")
    await feeds.remember_item("feed-a", "k", "fp2", "feed:a:1")
    assert await feeds.fingerprints("feed-a") == {"k": "fp2"}
    assert (await feeds.get("feed-b"))["etag"] == '"x"'

    stamps = SqlPostStamps(ingestion_engine)
    await stamps.remember("telegram:c:1", datetime(2026, 10, 8, 2, 40, tzinfo=UTC))
    assert await stamps.superseded("telegram:c:1", datetime(2026, 10, 8, 2, 10, tzinfo=UTC))
    assert not await stamps.superseded("telegram:c:1", datetime(2026, 10, 8, 3, 0, tzinfo=UTC))
    assert not await stamps.superseded("telegram:c:2", datetime(2026, 10, 8, 2, 10, tzinfo=UTC))


async def test_channel_state_and_posts_are_kept_on_sqlite_and_postgresql(ingestion_engine):
    from services.ingestion.adapters.channel_store import ChannelExists, PostRecord, SqlChannelStore

    channels = SqlChannelStore(ingestion_engine)
    since = datetime(2026, 10, 1, tzinfo=UTC)
    await channels.add("smolensk_gov", {"name": "Smolensk_Gov", "interval_s": 60.0, "enabled": True},
                       backfill_from_date=since, last_post_id=None, cursor=None)
    with pytest.raises(ChannelExists):
        await channels.add("smolensk_gov", {"name": "smolensk_gov", "interval_s": 60.0, "enabled": True})
    await channels.record_poll("smolensk_gov", cursor=40, walk_top=57, taken=12)
    row = await channels.get("smolensk_gov")
    assert (row["name"], row["cursor"], row["walk_top"], row["taken"]) == ("Smolensk_Gov", 40, 57, 12)
    assert row["backfill_from_date"] == since and row["last_polled_at"] is None
    await channels.remember("smolensk_gov", [PostRecord(41, "a" * 64, "text", "taken", "telegram:smolensk_gov:41"),
                                             PostRecord(42, "b" * 64, "media", "skipped")])
    await channels.remember("smolensk_gov", [PostRecord(41, "c" * 64, "text", "withdrawn", "telegram:smolensk_gov:41")])
    posts = await channels.posts("smolensk_gov", 41)
    assert (posts[41].state, posts[41].fingerprint, posts[42].kind) == ("withdrawn", "c" * 64, "media")
    assert list(await channels.posts("smolensk_gov", 40, 41)) == [41]
    assert await channels.remove("smolensk_gov")
    assert await channels.posts("smolensk_gov", 0) == {}
