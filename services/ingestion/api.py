"""The ingestion HTTP API (v1): POST /v1/articles, POST /v1/articles/batch, /healthz, /readyz."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.ingestion.adapters.outbox import SqlOutbox
from services.ingestion.handlers import Outbox, Publisher, accept, relay_once, to_message
from services.ingestion.schemas import ArticleAccepted, ArticleIn, BatchIn, BatchItemResult, BatchResult
from services.ingestion.settings import IngestionSettings
from shared.http import BodyLimit, describe_validation, install_error_handlers
from shared.http_metrics import install_metrics
from shared.kafka.publisher import KafkaPublisher
from shared.metrics import ServiceMetrics

log = logging.getLogger(__name__)


def create_app(settings: IngestionSettings, *, outbox: Outbox | None = None,
               publisher: Publisher | None = None) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_outbox = outbox or SqlOutbox(settings.ingestion_db_url)
        own_publisher = publisher or KafkaPublisher(settings, "ingestion")
        if isinstance(own_publisher, KafkaPublisher):
            await own_publisher.start()
        app.state.outbox, app.state.publisher = own_outbox, own_publisher
        relay = asyncio.create_task(_relay_loop(settings, own_outbox, own_publisher))
        try:
            yield
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
            if isinstance(own_publisher, KafkaPublisher):
                await own_publisher.stop()
            if isinstance(own_outbox, SqlOutbox):
                own_outbox.close()

    app = FastAPI(title="dronewatch ingestion", version="1", lifespan=lifespan,
                  description="Accepts reports (news articles, Telegram posts) for the pipeline.")
    install_error_handlers(app)
    install_metrics(app, ServiceMetrics("ingestion"))

    @app.post("/v1/articles", status_code=202, response_model=ArticleAccepted,
              responses={200: {"model": ArticleAccepted, "description": "Already seen (same id or same text)"},
                         413: {"description": "Body too large"}, 422: {"description": "Invalid body"}})
    async def post_article(body: ArticleIn, request: Request, response: Response) -> ArticleAccepted:
        """Accept one report. 202 when new; 200 with status `duplicate` when the same id or the same
        text was accepted before."""
        article_id, new = await accept(to_message(body), outbox=request.app.state.outbox,
                                       publisher=request.app.state.publisher)
        if not new:
            response.status_code = 200
        return ArticleAccepted(id=article_id, status="accepted" if new else "duplicate")

    @app.post("/v1/articles/batch", response_model=BatchResult)
    async def post_batch(body: BatchIn, request: Request) -> BatchResult | JSONResponse:
        """Accept many reports at once. Each item is validated on its own: one bad item is rejected
        with its reason and the others go through."""
        if len(body.articles) > settings.ingestion_max_batch_items:
            return JSONResponse(status_code=413, content={
                "error": f"batch has {len(body.articles)} items; the limit is {settings.ingestion_max_batch_items}"})
        results = []
        for index, raw in enumerate(body.articles):
            try:
                item = ArticleIn.model_validate(raw)
            except ValidationError as err:
                results.append(BatchItemResult(index=index, status="rejected",
                                               error=describe_validation(err.errors())))
                continue
            article_id, new = await accept(to_message(item, origin="batch"), outbox=request.app.state.outbox,
                                           publisher=request.app.state.publisher)
            results.append(BatchItemResult(index=index, id=article_id, status="accepted" if new else "duplicate"))
        count = {s: sum(r.status == s for r in results) for s in ("accepted", "duplicate", "rejected")}
        return BatchResult(results=results, **count)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        try:
            ping = getattr(request.app.state.outbox, "ping", None)
            if ping:
                await asyncio.to_thread(ping)
        except Exception as err:  # noqa: BLE001
            return JSONResponse(status_code=503, content={"status": "unavailable", "error": repr(err)})
        return JSONResponse(content={"status": "ready"})

    app.add_middleware(BodyLimit, limit_for=lambda path: settings.ingestion_max_batch_body_bytes
                       if path.endswith("/batch") else settings.ingestion_max_body_bytes)
    return app


async def _relay_loop(settings: IngestionSettings, outbox: Outbox, publisher: Publisher) -> None:
    while True:
        await asyncio.sleep(settings.ingestion_relay_interval_s)
        try:
            await relay_once(outbox=outbox, publisher=publisher, older_than_s=settings.ingestion_relay_interval_s)
        except Exception as err:  # noqa: BLE001 - try again next round; nothing is lost
            log.warning("relay round failed", extra={"error": repr(err)})
