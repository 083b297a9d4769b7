"""A stand-in grouping for testing the scorer (not the incidents service's): events of different
reports join when they agree on type, weapon, admin1 and published day; a report never joins itself."""
from __future__ import annotations

from collections.abc import Sequence

from shared.messages.events import GeocodedArticle


def group_by_key(articles: Sequence[GeocodedArticle]) -> list[set[str]]:
    clusters: list[tuple[tuple, set[str], set[str]]] = []  # (key, event ids, article ids)
    for art in articles:
        day = art.published_at.date() if art.published_at else None
        for ev in art.events:
            key = (ev.type, ev.weapon, ev.location.admin1_code, day)
            home = next((c for c in clusters if c[0] == key and art.article_id not in c[2]), None)
            if home is None:
                clusters.append((key, {ev.id}, {art.article_id}))
            else:
                home[1].add(ev.id)
                home[2].add(art.article_id)
    return [ids for _key, ids, _arts in clusters]
