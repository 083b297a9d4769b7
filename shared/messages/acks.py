"""Storage's receipt for an article (topic `articles.stored.v1`): the pipeline is done with this
version of the report, either stored with its events or given up on (failed). Ingestion reads
these to retire the report from its outbox; until then it re-publishes what is overdue."""
from __future__ import annotations

from typing import ClassVar, Literal

from shared.messages.envelope import Frozen, Message


class StoredArticle(Frozen):
    article_id: str
    version: int = 1  # the newest version of the report the store now holds
    status: Literal["processed", "failed"]
    event_count: int = 0


class ArticleStored(Message):
    EVENT_TYPE: ClassVar[str] = "article.stored"
    SCHEMA_VERSION: ClassVar[int] = 1
    payload: StoredArticle
