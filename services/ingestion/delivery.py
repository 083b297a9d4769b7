"""What runs beside ingestion's HTTP API so that an accepted report is delivered exactly once into
the store, whatever the broker does:

* the relay: every INGESTION_RELAY_INTERVAL_S it publishes what the broker never took and
  re-publishes what storage has not confirmed after INGESTION_REDELIVER_AFTER_S (`relay_once`);
* the receipts consumer: the one shared Runner, in ingestion's own consumer group, reading
  storage's receipts (`articles.stored.v1`) and retiring those reports from the outbox. If the
  runner stops (broker gone for longer than its retry budget, dead-letter limit), it is started
  again after a pause (the shared backoff: 5 s, doubling while it keeps failing before it joins
  its group, at most a minute): the HTTP API keeps accepting meanwhile, and nothing is lost
  because receipts are committed only after the outbox recorded them;
* the outbox gauges (`dronewatch_outbox_reports{state}`) for /metrics and /readyz.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

from prometheus_client import Gauge

from services.ingestion.handlers import Outbox, Publisher, handle_article_stored, handle_articles_stored, relay_once
from services.ingestion.settings import IngestionSettings
from shared.backoff import Backoff
from shared.kafka.runner import Runner, Subscription
from shared.metrics import ServiceMetrics
from shared.topics import ARTICLES_STORED

log = logging.getLogger(__name__)
RESTART = Backoff(initial_s=5.0, max_s=60.0)


def build_receipts_runner(settings: IngestionSettings, outbox: Outbox, metrics: ServiceMetrics | None = None) -> Runner:
    """The shared runner, in ingestion's consumer group, reading storage's receipts: a consumer
    batch of them retires its reports in one transaction."""
    sub = Subscription(ARTICLES_STORED, partial(handle_article_stored, outbox=outbox),
                       batch_handler=partial(handle_articles_stored, outbox=outbox))
    return Runner(settings, "ingestion", [sub], metrics=metrics)


def outbox_gauge(metrics: ServiceMetrics) -> Gauge:
    """`dronewatch_outbox_reports{state}` in the service's registry. Built once per registry, with
    the app, not in the lifespan: a lifespan may run more than once on one app."""
    return Gauge("dronewatch_outbox_reports", "Ingestion outbox rows by delivery state", ["service", "state"],
                 registry=metrics.registry)


class Delivery:
    def __init__(self, settings: IngestionSettings, outbox: object, publisher: Publisher, metrics: ServiceMetrics,
                 gauge: Gauge, *, consume_receipts: bool = True) -> None:
        self.settings, self.outbox, self.publisher, self.metrics = settings, outbox, publisher, metrics
        self.consume_receipts = consume_receipts
        self.gauge = gauge  # outbox_gauge(metrics), built with the app
        self.counts: dict[str, int] = {}
        self.runner: Runner | None = None
        self._stop = asyncio.Event()
        self._relay: asyncio.Task[None] | None = None
        self._receipts: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._relay = asyncio.create_task(self._relay_loop())
        if self.consume_receipts:
            self._receipts = asyncio.create_task(self._receipts_loop())

    async def stop(self) -> None:
        """Cancel the relay; let the receipts runner finish its batch and commit."""
        self._stop.set()
        if self._relay:
            self._relay.cancel()
        for task in (self._relay, self._receipts):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @property
    def receipts_ready(self) -> bool:
        return self.runner is not None and self.runner.ready

    async def refresh_counts(self) -> dict[str, int]:
        counts = getattr(self.outbox, "counts", None)
        if counts is not None:
            self.counts = await counts()
            for state, n in self.counts.items():
                self.gauge.labels(self.metrics.service, state).set(n)
        return self.counts

    async def _relay_loop(self) -> None:
        interval = self.settings.ingestion_relay_interval_s
        while True:
            await asyncio.sleep(interval)
            try:
                await relay_once(outbox=self.outbox, publisher=self.publisher,  # type: ignore[arg-type]
                                 older_than_s=interval)
                await self.refresh_counts()
            except Exception as err:  # noqa: BLE001 - try again next round; nothing is lost
                log.warning("relay round failed", extra={"error": repr(err)})

    async def _receipts_loop(self) -> None:
        failures = 0  # in a row, without the runner getting as far as joining its group
        while not self._stop.is_set():
            self.runner = build_receipts_runner(self.settings, self.outbox, self.metrics)  # type: ignore[arg-type]
            try:
                await self.runner.run(self._stop)
            except Exception as err:  # noqa: BLE001 - restart after a pause; receipts are redelivered
                failures = 1 if self.runner.started.is_set() else failures + 1
                pause = RESTART.delay(failures)
                log.error("receipts consumer stopped; restarting it", extra={"error": repr(err), "retry_in_s": pause})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), pause)
