"""Prometheus metrics of one service process, in a registry of its own (built in main(), never at
import time). The runner counts what it consumes, produces, dead-letters and retries, times each
message, and records consumer lag per partition; the HTTP services count requests."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        r = self.registry
        self.consumed = Counter("dronewatch_messages_consumed", "Records consumed", ["service", "topic"], registry=r)
        self.produced = Counter("dronewatch_messages_produced", "Messages produced and acknowledged",
                                ["service", "topic"], registry=r)
        self.dead_lettered = Counter("dronewatch_messages_dead_lettered", "Records sent to the dead-letter topic",
                                     ["service", "topic"], registry=r)
        self.errors = Counter("dronewatch_errors", "Failures by kind (poison, transient, fatal)",
                              ["service", "kind"], registry=r)
        self.processing = Histogram("dronewatch_processing_seconds", "Time to handle one record",
                                    ["service", "topic"], buckets=LATENCY_BUCKETS, registry=r)
        self.commits = Counter("dronewatch_commits", "Offset commits of the consumer group", ["service"], registry=r)
        self.lag = Gauge("dronewatch_consumer_lag", "High watermark minus position, per partition",
                         ["service", "topic", "partition"], registry=r)
        self.requests = Counter("dronewatch_http_requests", "HTTP requests", ["service", "route", "status"],
                                registry=r)
        self.request_seconds = Histogram("dronewatch_http_request_seconds", "HTTP request latency",
                                         ["service", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.requests_in_progress = Gauge("dronewatch_http_requests_in_progress", "HTTP requests being served",
                                          ["service"], registry=r)

    def total(self, counter: Counter, **labels: str) -> float:
        """The sum of `counter` over all its label values (those given in `labels` must match)."""
        return sum(sample.value for metric in counter.collect() for sample in metric.samples
                   if sample.name.endswith("_total") and all(sample.labels.get(k) == v for k, v in labels.items()))

    def render(self) -> bytes:
        return generate_latest(self.registry)
