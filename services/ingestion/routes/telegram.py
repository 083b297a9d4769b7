"""POST /v1/telegram/posts (one post) and /v1/telegram/posts/batch (many, e.g. from
`dronewatch telegram-import`): Telegram posts keyed by channel and message id."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.ingestion.intake import Outcome
from services.ingestion.schemas import ArticleAccepted, ArticleIn, BatchItemResult, BatchResult
from services.ingestion.sources.telegram import TelegramPost
from shared.http import describe_validation

router = APIRouter(prefix="/v1/telegram", tags=["telegram"])


class TelegramBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    posts: list[dict[str, object]] = Field(min_length=1)


@router.post("/posts", status_code=202, response_model=ArticleAccepted, response_model_exclude_none=True,
             responses={200: {"model": ArticleAccepted, "description": "Seen before with the same text"},
                        422: {"description": "Invalid post"}})
async def post_telegram(body: TelegramPost, request: Request, response: Response) -> ArticleAccepted:
    """Accept one post. Its id is `telegram:<channel>:<message_id>`; the same post with an edited
    text is a new version of that report. An edit older than one already taken (by `edited`, else
    `date`) is answered as a duplicate and not processed, so a late retry cannot roll it back."""
    try:
        article = body.to_article()
    except ValidationError as err:
        raise HTTPException(status_code=422, detail=describe_validation(err.errors())) from err
    except ValueError as err:
        raise HTTPException(status_code=422, detail=f"text: {err}") from err
    outcome = await take_post(request, body, article)
    if outcome.status == "duplicate":
        response.status_code = 200
    return ArticleAccepted(id=outcome.id, status=outcome.status, near_duplicate_of=outcome.near_duplicate_of)


@router.post("/posts/batch", response_model=BatchResult, response_model_exclude_none=True)
async def post_telegram_batch(body: TelegramBatchIn, request: Request) -> BatchResult:
    """Accept many posts; each is validated on its own."""
    limit = request.app.state.settings.ingestion_max_batch_items
    if len(body.posts) > limit:
        raise HTTPException(status_code=413, detail=f"batch has {len(body.posts)} items; the limit is {limit}")
    results = []
    for index, raw in enumerate(body.posts):
        try:
            post = TelegramPost.model_validate(raw)
            article = post.to_article()
        except ValidationError as err:
            results.append(BatchItemResult(index=index, status="rejected", error=describe_validation(err.errors())))
            continue
        except ValueError as err:
            results.append(BatchItemResult(index=index, status="rejected", error=f"text: {err}"))
            continue
        outcome = await take_post(request, post, article)
        results.append(BatchItemResult(index=index, id=outcome.id, status=outcome.status,
                                       near_duplicate_of=outcome.near_duplicate_of))
    count = {s: sum(r.status == s for r in results) for s in ("accepted", "duplicate", "rejected")}
    return BatchResult(results=results, **count)


async def take_post(request: Request, post: TelegramPost, article: ArticleIn) -> Outcome:
    return await request.app.state.sources.posts.take(post, article)
