"""Incident grouping as a pure function, for evaluation: the articles' events grouped into
incidents by the very engine the service runs (routing, then the region engine), in memory, with
the default rules. Articles are fed in order of publication (then id), as they would arrive."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.incidents.adapters.memory import MemoryState
from services.incidents.engine import active_groups, apply
from services.incidents.routing import plan
from services.incidents.rules import Rules
from shared.messages import GeocodedArticle

_LAST = datetime.max.replace(tzinfo=UTC)


def group_events(articles: Sequence[GeocodedArticle], rules: Rules | None = None) -> list[set[str]]:
    """The incidents the articles' events form, as sets of event ids (every event in exactly one)."""
    rules = rules or Rules()
    state = MemoryState(rules)
    for article in sorted(articles, key=lambda a: (a.published_at or _LAST, a.article_id)):
        for rc in state.route_sync(article, lambda last, a=article: plan(a, last)):  # type: ignore[misc]
            state.in_region_sync(rc.region, lambda ws, rc=rc: apply(ws, rc, rules))  # type: ignore[misc]
    return active_groups(state.incidents.values())
