"""What the ingestion service runs besides its HTTP routes: the shared HTTP client for pages, feeds
and channel previews, the intake (language, near-duplicates), the Telegram post taker (channel
registry, edit stamps), the feed and channel stores and their pollers' tasks. Used by
the API's lifespan; everything here is built when the app starts, never at import."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
from sqlalchemy import Engine, create_engine

from services.ingestion.adapters.channel_store import SqlChannelStore
from services.ingestion.adapters.feed_store import SqlFeedStore
from services.ingestion.adapters.post_stamps import SqlPostStamps
from services.ingestion.handlers import Outbox, Publisher
from services.ingestion.intake import Intake
from services.ingestion.settings import IngestionSettings
from services.ingestion.sources.channel_config import backfill_state, channel_id, load_channels_file
from services.ingestion.sources.channels import ChannelFollower
from services.ingestion.sources.feeds import FeedPoller, feed_id, load_feeds_file
from services.ingestion.sources.netguard import PublicOnlyTransport
from services.ingestion.sources.registry import load_registry
from services.ingestion.sources.telegram import PostTaker

log = logging.getLogger(__name__)
MAX_REDIRECTS = 10


def fetch_client(settings: IngestionSettings) -> httpx.AsyncClient:
    """The client for feeds and pages: it connects to public addresses only (every redirect hop
    included, at most `MAX_REDIRECTS` of them) unless INGESTION_FETCH_ALLOW_PRIVATE is on."""
    transport = None if settings.ingestion_fetch_allow_private else PublicOnlyTransport()
    return httpx.AsyncClient(timeout=settings.ingestion_fetch_timeout_s, transport=transport,
                             max_redirects=MAX_REDIRECTS, headers={"User-Agent": settings.ingestion_fetch_user_agent})


@contextlib.asynccontextmanager
async def sources(settings: IngestionSettings, *, outbox: Outbox, publisher: Publisher,
                  http: httpx.AsyncClient | None = None) -> AsyncIterator[SimpleNamespace]:
    own_http = http or fetch_client(settings)
    engine: Engine | None = getattr(outbox, "engine", None)
    own_engine: Engine | None = None
    if engine is None:
        engine = own_engine = create_engine(settings.ingestion_db_url)
    intake = Intake(settings, outbox=outbox, publisher=publisher, http=own_http)
    store = SqlFeedStore(engine)
    poller = FeedPoller(store=store, intake=intake, http=own_http,
                        default_interval_s=settings.ingestion_feed_default_interval_s,
                        max_backoff_s=settings.ingestion_feed_max_backoff_s,
                        max_items=settings.ingestion_feed_max_items,
                        min_text_chars=settings.ingestion_feed_min_text_chars,
                        user_agent=settings.ingestion_fetch_user_agent)
    registry = load_registry(settings.ingestion_channel_registry_file)
    posts = PostTaker(intake, SqlPostStamps(engine), registry)
    channels = SqlChannelStore(engine)
    follower = ChannelFollower(store=channels, posts=posts, outbox=outbox, publisher=publisher, http=own_http,
                               base_url=settings.ingestion_telegram_preview_url,
                               default_interval_s=settings.ingestion_channel_default_interval_s,
                               max_backoff_s=settings.ingestion_channel_max_backoff_s,
                               max_pages=settings.ingestion_channel_max_pages,
                               page_delay_s=settings.ingestion_channel_page_delay_s,
                               max_bytes=settings.ingestion_fetch_max_bytes)
    await intake.rebuild_near_duplicates()
    if settings.ingestion_feeds_file:
        for cfg in load_feeds_file(settings.ingestion_feeds_file):
            config = cfg.model_dump()
            config["interval_s"] = cfg.interval_s or settings.ingestion_feed_default_interval_s
            await store.upsert_from_file(feed_id(cfg.url), config)
    if settings.ingestion_channels_file:
        for ch in load_channels_file(settings.ingestion_channels_file):
            config = ch.model_dump()
            config["interval_s"] = ch.interval_s or settings.ingestion_channel_default_interval_s
            await channels.upsert_from_file(channel_id(ch.name), config, **backfill_state(ch))
    tasks = [asyncio.create_task(poller.run())] if settings.ingestion_feeds_enabled else []
    if settings.ingestion_channels_enabled:
        tasks.append(asyncio.create_task(follower.run()))
    try:
        yield SimpleNamespace(intake=intake, feeds=store, poller=poller, posts=posts, registry=registry,
                              channels=channels, follower=follower)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if http is None:
            await own_http.aclose()
        if own_engine is not None:
            own_engine.dispose()
