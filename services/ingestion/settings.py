"""Ingestion's settings."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.auth import AccessSettings


class IngestionSettings(AccessSettings):
    service_name: str = "ingestion"
    ingestion_host: str = Field(default="127.0.0.1", description="interface of the ingestion API")
    ingestion_port: int = Field(default=8001, description="its port")
    # Ingestion's own durable record of what it accepted (the outbox); not the incident store.
    ingestion_db_url: str = Field(default="sqlite:///var/ingestion.db",
                                  description="ingestion's own outbox of accepted reports")
    ingestion_max_body_bytes: int = Field(default=1_000_000, description="largest single-report request")
    ingestion_max_batch_body_bytes: int = Field(default=20_000_000, description="largest batch request")
    ingestion_max_batch_items: int = Field(default=1000, description="most reports in one batch")
    ingestion_relay_interval_s: float = Field(default=2.0, description="how often accepted reports whose "
                                              "publication failed are re-published")
    # The broker may have lost it; never silently dropped.
    ingestion_redeliver_after_s: float = Field(
        default=60.0, description="a published report without a receipt from storage this long is re-published "
        "(the delay doubles per publication, up to an hour)")
    ingestion_redeliver_max_attempts: int = Field(
        default=10, description="publications of a report without a receipt before it is given up on (logged as an "
        "error, counted in `/readyz` and `/metrics`)")

    # Feeds (RSS/Atom), merged into the admin API's list, polled by a background task.
    ingestion_feeds_file: Path | None = Field(
        default=None, description="YAML or JSON file of feeds (a list, or `feeds:`; each a url or `{url, name, "
        "source, language, interval_s, enabled}`) loaded at start")
    ingestion_feeds_enabled: bool = Field(default=True, description="run the feed poller")
    ingestion_feed_default_interval_s: float = Field(default=300.0, description="poll interval of a feed that "
                                                     "sets none")
    ingestion_feed_max_backoff_s: float = Field(default=3600.0, description="longest wait after consecutive "
                                                "errors (the interval doubles per error)")
    ingestion_feed_max_items: int = Field(default=200, description="items read per poll")
    # Telegram channels followed through their public web preview (<base>/s/<channel>), merged into
    # the admin API's list, polled by a background task.
    ingestion_channels_file: Path | None = Field(
        default=None, description="YAML or JSON file of Telegram channels to follow (a list, or `channels:`; each a "
        "username or `{name, interval_s, enabled, backfill_from_id, backfill_from_date}`) loaded at start")
    ingestion_channels_enabled: bool = Field(default=True, description="run the channel follower")
    ingestion_channel_default_interval_s: float = Field(default=120.0, description="poll interval of a channel "
                                                        "that sets none")
    ingestion_channel_max_backoff_s: float = Field(
        default=3600.0, description="longest wait after a 429, a flood wait or an error (the interval doubles per "
        "consecutive error, and is at least what Telegram asks for)")
    ingestion_channel_max_pages: int = Field(default=20, description="older preview pages a backfill (or a "
                                             "catch-up after a pause) reads per poll (it goes on at the next poll)")
    ingestion_channel_page_delay_s: float = Field(default=1.0, description="pause between two pages of a backfill")
    # Tests point it at a local server (with INGESTION_FETCH_ALLOW_PRIVATE).
    ingestion_telegram_preview_url: str = Field(
        default="https://t.me", description="where the channels' web preview lives (`<url>/s/<channel>`); fetched "
        "through the public-address guard")
    ingestion_channel_registry_file: Path | None = Field(
        default=None, description="the channel registry: owner, role and region of each channel (unset: the starter "
        "`services/ingestion/sources/channel_registry.yaml`)")
    # Web pages fetched for links without text (feed items, posts with only a url).
    ingestion_fetch_timeout_s: float = Field(default=10.0, description="timeout of a feed or page request")
    ingestion_fetch_max_bytes: int = Field(default=5_000_000, description="largest page fetched")
    ingestion_fetch_user_agent: str = Field(default="dronewatch-ingestion/1.0", description="identifies us to the "
                                            "sites")
    # On for operators whose feeds live on their own network.
    ingestion_fetch_allow_private: bool = Field(
        default=False, description="also fetch feeds and pages from loopback, private and link-local (cloud "
        "metadata) addresses")
    ingestion_feed_min_text_chars: int = Field(default=400, description="feed items with less text are completed "
                                               "from their web page")
    # Near-duplicates (reposts, rewrites): MinHash LSH over word shingles.
    ingestion_near_dup_threshold: float = Field(
        default=0.7, description="estimated Jaccard similarity (3-word shingles) above which a report is linked as a "
        "near-duplicate")
    ingestion_near_dup_num_perm: int = Field(default=128, description="MinHash permutations")
    ingestion_near_dup_window_days: float = Field(default=7.0, description="reports of the last N days re-indexed "
                                                  "from the outbox at start...")
    ingestion_near_dup_max_rows: int = Field(
        default=20_000, description="...at most this many; also the size of the index while running (oldest out "
        "first; about 7 KB of memory each)")
