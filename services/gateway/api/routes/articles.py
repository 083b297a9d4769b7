"""GET /v1/articles/{id}: a report's processing status, text and events with their evidence spans."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException

from services.gateway.api.deps import StoreDep
from services.gateway.api.params import text_param
from services.gateway.queries import get_article
from services.gateway.schemas import ArticlePublic
from shared.http import problem_responses

router = APIRouter(prefix="/v1/articles", tags=["articles"])


@router.get("/{article_id}", response_model=ArticlePublic, responses=problem_responses(401, 403, 404, 422, 429, 503))
def read_article(article_id: str, store: StoreDep) -> dict:
    """`status` is pending until the pipeline has stored the report's events (processed), or
    failed with `error` saying which stage gave up and why; retracted when its source withdrew it
    (a deleted post: its events are gone)."""
    article_id = text_param("article_id", article_id, where="path") or ""
    with store.connect() as conn:
        article = get_article(conn, article_id)
    if article is None:
        raise HTTPException(404, f"no article with id {article_id!r}")
    return article
