"""Ingestion's settings."""
from __future__ import annotations

from pathlib import Path

from shared.auth import AccessSettings


class IngestionSettings(AccessSettings):
    service_name: str = "ingestion"
    ingestion_host: str = "127.0.0.1"
    ingestion_port: int = 8001
    # Ingestion's own durable record of what it accepted (the outbox); not the incident store.
    ingestion_db_url: str = "sqlite:///var/ingestion.db"
    ingestion_max_body_bytes: int = 1_000_000
    ingestion_max_batch_body_bytes: int = 20_000_000
    ingestion_max_batch_items: int = 1000
    # Accepted reports whose publication failed are re-published by a background relay.
    ingestion_relay_interval_s: float = 2.0
    # A published report with no receipt from storage after this long is re-published (the broker
    # may have lost it), doubling per publication up to an hour; after the maximum number of
    # publications it is given up on, logged and counted (never silently dropped).
    ingestion_redeliver_after_s: float = 60.0
    ingestion_redeliver_max_attempts: int = 10

    # Feeds (RSS/Atom): a YAML/JSON file of feeds loaded at start (merged into the admin API's
    # list), polled by a background task; errors back off exponentially up to the cap.
    ingestion_feeds_file: Path | None = None
    ingestion_feeds_enabled: bool = True
    ingestion_feed_default_interval_s: float = 300.0
    ingestion_feed_max_backoff_s: float = 3600.0
    ingestion_feed_max_items: int = 200
    # Telegram channels followed through their public web preview (<base>/s/<channel>): a YAML/JSON
    # file of channels loaded at start (merged into the admin API's list), polled by a background
    # task; a 429 or a flood wait backs off (doubling, at least what Telegram asks for) up to the cap.
    ingestion_channels_file: Path | None = None
    ingestion_channels_enabled: bool = True
    ingestion_channel_default_interval_s: float = 120.0
    ingestion_channel_max_backoff_s: float = 3600.0
    # A backfill (or a catch-up after a pause) reads at most this many older pages per poll, this
    # far apart, and goes on at the next poll.
    ingestion_channel_max_pages: int = 20
    ingestion_channel_page_delay_s: float = 1.0
    # Where the preview lives; tests point it at a local server (with INGESTION_FETCH_ALLOW_PRIVATE).
    ingestion_telegram_preview_url: str = "https://t.me"
    # Who speaks in each channel, and for where; unset: the starter registry shipped with ingestion.
    ingestion_channel_registry_file: Path | None = None
    # Web pages fetched for links without text (feed items, posts with only a url).
    ingestion_fetch_timeout_s: float = 10.0
    ingestion_fetch_max_bytes: int = 5_000_000
    ingestion_fetch_user_agent: str = "dronewatch-ingestion/1.0"
    # Off: feeds and links may only be fetched from public addresses (no loopback, private,
    # link-local/cloud metadata, ...); on for operators whose feeds live on their own network.
    ingestion_fetch_allow_private: bool = False
    # Feed items whose own text is shorter than this are completed from their page.
    ingestion_feed_min_text_chars: int = 400
    # Near-duplicates (reposts, rewrites): MinHash LSH over word shingles; the index is rebuilt at
    # start from the outbox's reports of the last N days (at most M of them).
    ingestion_near_dup_threshold: float = 0.7
    ingestion_near_dup_num_perm: int = 128
    ingestion_near_dup_window_days: float = 7.0
    ingestion_near_dup_max_rows: int = 20_000
