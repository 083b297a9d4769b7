"""The ingestion HTTP API (v1): POST /v1/articles, POST /v1/articles/batch, /healthz, /readyz; the feeds
and channels admin APIs and the Telegram routes live in `routes/`."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Literal

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import Gauge
from pydantic import ValidationError

from services.ingestion.adapters.outbox import SqlOutbox
from services.ingestion.delivery import Delivery, outbox_gauge
from services.ingestion.handlers import Outbox, Publisher
from services.ingestion.intake import Outcome
from services.ingestion.routes.channels import router as channels_router
from services.ingestion.routes.feeds import router as feeds_router
from services.ingestion.routes.telegram import router as telegram_router
from services.ingestion.schemas import ArticleAccepted, ArticleIn, BatchIn, BatchItemResult, BatchResult
from services.ingestion.settings import IngestionSettings
from services.ingestion.sources.runtime import sources
from services.ingestion.sources.web import PageError
from shared.auth import RateLimiter, access_guard, guard_dependencies
from shared.http import BodyLimit, ParameterError, ProblemError, describe_validation, install_error_handlers
from shared.http_metrics import install_metrics
from shared.kafka.publisher import KafkaPublisher
from shared.metrics import ServiceMetrics
from shared.openapi import NOT_READY

log = logging.getLogger(__name__)


def _lifespan(settings: IngestionSettings, outbox: Outbox | None, publisher: Publisher | None,
              metrics: ServiceMetrics, gauge: Gauge) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the outbox, the publisher, delivery and the sources, each made here
    unless given (tests pass fakes), and closed in reverse."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_outbox = outbox or SqlOutbox(settings.ingestion_db_url,
                                         redeliver_after_s=settings.ingestion_redeliver_after_s,
                                         max_attempts=settings.ingestion_redeliver_max_attempts)
        own_publisher = publisher or KafkaPublisher(settings, "ingestion")
        if isinstance(own_publisher, KafkaPublisher):
            await own_publisher.start()
        app.state.outbox, app.state.publisher = own_outbox, own_publisher
        # Storage's receipts are read from the broker only when publishing to one (not with test fakes).
        app.state.delivery = Delivery(settings, own_outbox, own_publisher, metrics, gauge,
                                      consume_receipts=isinstance(own_publisher, KafkaPublisher))
        await app.state.delivery.start()
        try:
            async with sources(settings, outbox=own_outbox, publisher=own_publisher) as app.state.sources:
                yield
        finally:
            await app.state.delivery.stop()
            if isinstance(own_publisher, KafkaPublisher):
                await own_publisher.stop()
            if isinstance(own_outbox, SqlOutbox):
                own_outbox.close()

    return lifespan


def create_app(settings: IngestionSettings, *, outbox: Outbox | None = None,
               publisher: Publisher | None = None) -> FastAPI:
    metrics = ServiceMetrics("ingestion")
    gauge = outbox_gauge(metrics)
    app = FastAPI(title="dronewatch ingestion", version="1",
                  lifespan=_lifespan(settings, outbox, publisher, metrics, gauge),
                  description="Accepts reports (news articles, Telegram posts) for the pipeline.")
    install_error_handlers(app)
    limiter = RateLimiter()  # one rate limit per key across the ingest and admin routes
    ingest = guard_dependencies(access_guard(settings, "ingest", limiter=limiter))  # API keys (shared/auth.py)
    admin = guard_dependencies(access_guard(settings, "admin", limiter=limiter))
    install_metrics(app, metrics)
    app.state.settings = settings
    app.include_router(feeds_router, dependencies=admin)  # the feeds admin API: scope `admin`
    app.include_router(channels_router, dependencies=admin)  # followed Telegram channels: scope `admin`
    app.include_router(telegram_router, dependencies=ingest)

    @app.post("/v1/articles", dependencies=ingest, status_code=202, response_model=ArticleAccepted,
              response_model_exclude_none=True,
              responses={200: {"model": ArticleAccepted, "description": "Already seen (same id or same text)"},
                         413: {"description": "Body too large"}, 422: {"description": "Invalid body"}})
    async def post_article(body: ArticleIn, request: Request, response: Response) -> ArticleAccepted:
        """Accept one report. 202 when new (with `near_duplicate_of` when it repeats an earlier
        report closely); 200 with status `duplicate` when the same id or the same text was accepted
        before. Without `text`, the page at `url` is fetched and its article text used (422 if it
        cannot be)."""
        try:
            outcome = await request.app.state.sources.intake.take(body, origin="http")
        except PageError as err:
            raise ParameterError("url", str(err), where="body") from err
        if outcome.status == "duplicate":
            response.status_code = 200
        return ArticleAccepted(id=outcome.id, status=outcome.status, near_duplicate_of=outcome.near_duplicate_of)

    @app.post("/v1/articles/batch", dependencies=ingest, response_model=BatchResult, response_model_exclude_none=True)
    async def post_batch(body: BatchIn, request: Request,
                         origin: Literal["batch", "file"] = "batch") -> BatchResult:
        """Accept many reports at once. Each item is validated on its own: one bad item is rejected
        with its reason and the others go through. The valid ones are kept and published together,
        judged in order (a text repeated within the batch is a duplicate of its first occurrence)."""
        if len(body.articles) > settings.ingestion_max_batch_items:
            raise ProblemError(413, f"batch has {len(body.articles)} items; "
                                    f"the limit is {settings.ingestion_max_batch_items}")
        by_index: dict[int, BatchItemResult] = {}
        valid: list[tuple[int, ArticleIn]] = []
        for index, raw in enumerate(body.articles):
            try:
                valid.append((index, ArticleIn.model_validate(raw)))
            except ValidationError as err:
                by_index[index] = BatchItemResult(index=index, status="rejected",
                                                  error=describe_validation(err.errors()))
        outcomes = await request.app.state.sources.intake.take_many([item for _, item in valid], origin=origin)
        return _batch_result(by_index, [index for index, _ in valid], outcomes)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", responses=NOT_READY)
    async def readyz(request: Request) -> JSONResponse:
        try:
            ping = getattr(request.app.state.outbox, "ping", None)
            if ping:
                await asyncio.to_thread(ping)
            outbox_counts = await request.app.state.delivery.refresh_counts()
        except Exception as err:  # noqa: BLE001
            return JSONResponse(status_code=503, content={"status": "unavailable", "error": repr(err)})
        return JSONResponse(content={"status": "ready", "outbox": outbox_counts,
                                     "receipts_consumer": request.app.state.delivery.receipts_ready})

    app.add_middleware(BodyLimit, limit_for=lambda path: settings.ingestion_max_batch_body_bytes
                       if path.endswith("/batch") else settings.ingestion_max_body_bytes)
    return app


def _batch_result(rejected: dict[int, BatchItemResult], taken: list[int],
                  outcomes: list[Outcome | PageError]) -> BatchResult:
    """The answer to a batch: each item's result in the order sent, and the counts."""
    by_index = dict(rejected)
    for index, outcome in zip(taken, outcomes, strict=True):
        by_index[index] = (BatchItemResult(index=index, status="rejected", error=f"url: {outcome}")
                           if isinstance(outcome, PageError) else
                           BatchItemResult(index=index, id=outcome.id, status=outcome.status,
                                           near_duplicate_of=outcome.near_duplicate_of))
    results = [by_index[i] for i in sorted(by_index)]
    count = {s: sum(r.status == s for r in results) for s in ("accepted", "duplicate", "rejected")}
    return BatchResult(results=results, **count)
