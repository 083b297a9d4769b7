"""The routing stage: a report's complete event set (keyed by article) re-published as one
message per region (keyed by region), so that one partition of the internal topic, and so one
worker at a time, owns each region's incidents. The regions a report's last version reached are
remembered, so that an edit that moves its events, or a withdrawal, empties them where they were."""
from __future__ import annotations

from collections.abc import Sequence

from services.incidents.ports import Route
from services.incidents.rules import region_of
from shared.messages import GeocodedArticle, IncidentEvent, RegionClaims


def plan(article: GeocodedArticle, last: Route | None) -> tuple[Route | None, Sequence[RegionClaims]]:
    """The route to remember (None: nothing to change) and the messages to send. An older version
    than the last one routed sends nothing; the same version again sends the same messages."""
    if last is not None and last.version > article.version:
        return None, []
    by_region: dict[str, list[IncidentEvent]] = {}
    if not article.withdrawn:
        for ev in article.events:
            by_region.setdefault(region_of(ev.location), []).append(ev)
    if last is not None and last.version == article.version:
        regions = sorted(set(last.sent) | set(by_region))
        route = None
    else:
        regions = sorted(set(by_region) | set(last.regions if last else ()))
        route = Route(article.version, sorted(by_region), regions)
    messages = [RegionClaims(region=r, article_id=article.article_id, version=article.version,
                             published_at=article.published_at, source=article.source,
                             events=by_region.get(r, [])) for r in regions]
    return route, messages
