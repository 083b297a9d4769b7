"""Fixtures of the ingestion source tests: a local web server, and the ingestion app over a real
SQLite outbox with a recording publisher."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from services.ingestion.adapters.outbox import SqlOutbox
from services.ingestion.api import create_app
from services.ingestion.settings import IngestionSettings
from tests.unit.ingestion.local_web import LocalWeb, serve


class Recorder:
    def __init__(self) -> None:
        self.sent: list = []

    async def publish_many(self, messages, timeout_s=None) -> None:
        self.sent.extend(messages)

    def by_id(self, article_id: str):
        return [m.payload for m in self.sent if m.payload.id == article_id]


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    server, site = serve()
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_settings(tmp_path):
    def make(**overrides) -> IngestionSettings:
        fields = {"ingestion_db_url": f"sqlite:///{tmp_path / 'ingestion.db'}", "ingestion_feeds_enabled": False,
                  "ingestion_channels_enabled": False, "ingestion_channel_page_delay_s": 0.0,
                  "ingestion_feed_min_text_chars": 200, "ingestion_fetch_timeout_s": 5.0,
                  "ingestion_fetch_allow_private": True}  # the local web server is on loopback
        fields.update(overrides)
        return IngestionSettings(_env_file=None, **fields)
    return make


@pytest.fixture
async def app_client(make_settings, recorder) -> AsyncIterator:
    """Start an ingestion app (fresh settings per call; the same outbox file across calls, like a
    restart) and yield an httpx client to it."""
    opened = []

    async def start(**overrides):
        settings = make_settings(**overrides)
        outbox = SqlOutbox(settings.ingestion_db_url)
        app = create_app(settings, outbox=outbox, publisher=recorder)
        ctx = app.router.lifespan_context(app)
        await ctx.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://in")
        opened.append((ctx, client, outbox))
        return client

    yield start
    for ctx, client, outbox in reversed(opened):
        await client.aclose()
        await ctx.__aexit__(None, None, None)
        outbox.close()
