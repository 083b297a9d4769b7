"""GET /v1/articles/{id}: a report's processing status, text and events."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException

from services.gateway.api.deps import ConnDep
from services.gateway.queries import get_article
from services.gateway.schemas import ArticlePublic, Problem

router = APIRouter(prefix="/v1/articles", tags=["articles"])


@router.get("/{article_id}", response_model=ArticlePublic, responses={404: {"model": Problem}})
def read_article(article_id: str, conn: ConnDep) -> dict:
    """`status` is pending until the pipeline has stored the report's events (processed), or
    failed with `error` saying which stage gave up and why."""
    article = get_article(conn, article_id)
    if article is None:
        raise HTTPException(404, f"no article with id {article_id!r}")
    return article
