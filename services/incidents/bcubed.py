"""B-cubed precision and recall of a clustering against a gold clustering (Bagga & Baldwin, 1998).

For each item: precision is the share of its predicted cluster that is in its gold cluster, recall the
share of its gold cluster that is in its predicted cluster; both are averaged over the items. Only the
items scored count: clusters are cut down to them, and an item that a clustering does not place is a
cluster of its own.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class BCubed:
    precision: float
    recall: float
    items: int

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _labels(clusters: Iterable[Iterable[Hashable]], items: set[Hashable]) -> dict[Hashable, int]:
    """Item -> the index of its cluster, for the scored items; an item in two clusters is an error."""
    out: dict[Hashable, int] = {}
    for k, cluster in enumerate(clusters):
        for item in cluster:
            if item not in items:
                continue
            if item in out:
                raise ValueError(f"item {item!r} is in two clusters")
            out[item] = k
    return out


def bcubed(predicted: Iterable[Iterable[Hashable]], gold: Iterable[Iterable[Hashable]],
           items: Iterable[Hashable]) -> BCubed:
    """B-cubed precision and recall of `predicted` against `gold` over `items` (1.0 each when empty)."""
    scored = set(items)
    if not scored:
        return BCubed(1.0, 1.0, 0)
    pred, true = _labels(predicted, scored), _labels(gold, scored)
    pred_members: dict[object, set[Hashable]] = {}
    gold_members: dict[object, set[Hashable]] = {}
    for item in scored:
        pred_members.setdefault(pred.get(item, ("alone", item)), set()).add(item)
        gold_members.setdefault(true.get(item, ("alone", item)), set()).add(item)
    p = r = 0.0
    for item in scored:
        mine = pred_members[pred.get(item, ("alone", item))]
        truth = gold_members[true.get(item, ("alone", item))]
        both = len(mine & truth)
        p += both / len(mine)
        r += both / len(truth)
    return BCubed(p / len(scored), r / len(scored), len(scored))
