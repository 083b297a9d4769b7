"""Reconciliation: an incident's public fields from its claims, each naming the claim it came from.

* location: the most specific place among the claims (a claim that names only an area containing
  it is flagged `containing_only` and does not move it);
* count: the most specific official figure: claims with a claimant before those without, then the
  finer place, then the later report; `count_range` (min, max) when the claims' counts disagree.
  Claims for a containing area count only when no other claim gives a figure (a region's total is
  not this incident's);
* killed, injured: the latest figure (claims with a claimant first), since tolls rise during a day;
* damage: true if any claim reports damage (false only if some claim says none and none says some);
* sources: distinct sources (a report without a source counts as its own); first/last reported:
  the claims' earliest and latest publication; occurred_at: the union of the windows the texts give.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from services.incidents.rules import RANK
from shared.messages import Claim, Incident, Location, Reconciled, TimeWindow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _when(c: Claim) -> datetime:
    return c.published_at or EPOCH


def claim_order(c: Claim) -> tuple[datetime, str]:
    return _when(c), c.event_id


def most_specific(claims: Sequence[Claim]) -> Claim:
    """The claim with the finest place; of equals, the earliest report."""
    return min(claims, key=lambda c: (-RANK[c.location.precision], _when(c), c.event_id))


def _pick(claims: Sequence[Claim], value: Callable[[Claim], Any],
          rank: Callable[[Claim], tuple[Any, ...]]) -> Reconciled:
    having = [c for c in claims if value(c) is not None]
    if not having:
        return Reconciled()
    best = max(having, key=lambda c: (*rank(c), _when(c), c.event_id))
    return Reconciled(value=value(best), event_id=best.event_id)


def _official(c: Claim) -> int:
    return 1 if c.claimed_by else 0


def _count(claims: Sequence[Claim]) -> tuple[Reconciled, tuple[int, int] | None]:
    own = [c for c in claims if not c.containing_only and c.count is not None]
    pool = own or [c for c in claims if c.count is not None]
    best = _pick(pool, lambda c: c.count, lambda c: (_official(c), RANK[c.location.precision]))
    counts = {c.count for c in pool if c.count is not None}
    return best, (min(counts), max(counts)) if len(counts) > 1 else None


def _damage(claims: Sequence[Claim]) -> Reconciled:
    for wanted in (True, False):
        hits = sorted((c for c in claims if c.damage is wanted), key=claim_order)
        if hits:
            return Reconciled(value=wanted, event_id=hits[0].event_id)
    return Reconciled()


def _occurred(claims: Sequence[Claim]) -> TimeWindow | None:
    windows = [c.occurred_at for c in claims if c.occurred_at is not None and c.occurred_at.start is not None]
    if not windows:
        return None
    if len(windows) == 1:
        return windows[0]
    start = min(w.start for w in windows if w.start is not None)
    end = max(w.end or w.start or start for w in windows)
    return TimeWindow(start=start, end=end, precision="window")


def flag_containing(claims: Sequence[Claim], place: Location) -> list[Claim]:
    """The claims in report order, each flagged when it names only an area coarser than `place`."""
    out = []
    for c in sorted(claims, key=claim_order):
        containing = RANK[c.location.precision] < RANK[place.precision]
        out.append(c if c.containing_only == containing else c.model_copy(update={"containing_only": containing}))
    return out


def reconcile(incident: Incident, claims: Sequence[Claim]) -> Incident:
    """The incident with `claims` and every field reconciled from them (version, change and status
    are the caller's). With no claims, the place and kind stay and every figure is cleared."""
    if not claims:
        return incident.model_copy(update={
            "claims": [], "count": Reconciled(), "count_range": None, "killed": Reconciled(),
            "injured": Reconciled(), "damage": Reconciled(), "sources": 0})
    place = most_specific(claims).location
    ordered = flag_containing(claims, place)
    count, count_range = _count(ordered)
    return incident.model_copy(update={
        "location": place,
        "occurred_at": _occurred(ordered),
        "count": count,
        "count_range": count_range,
        "killed": _pick(ordered, lambda c: c.killed, lambda c: (_official(c),)),
        "injured": _pick(ordered, lambda c: c.injured, lambda c: (_official(c),)),
        "damage": _damage(ordered),
        "sources": len({c.source or f"article:{c.article_id}" for c in ordered}),
        "first_reported_at": min((c.published_at for c in ordered if c.published_at), default=None),
        "last_reported_at": max((c.published_at for c in ordered if c.published_at), default=None),
        "claims": ordered,
    })
