"""The incremental incidents engine: one report version's events in one region in, the changed
incidents out. Pure logic on a `Workspace`; the service runs it in a store transaction, the
evaluation (`grouping.py`) on the in-memory store, so the two cannot drift.

For one `RegionClaims` (a report's complete set of events in the region at a version):
1. an older version than the one applied is ignored; the same version again (a redelivery)
   answers with the current state of the incidents it touched, so their messages go out again;
2. claims of the report whose event is gone are removed (an incident left with none is
   retracted); claims whose event is still there are refreshed in place;
3. each new event (finer places first) is matched against the region's active incidents of its
   type and weapon with an overlapping window, skipping those that hold a claim of the same
   report (a report never merges with itself):
   * a place that names only an area (admin1, country) supports the best incident inside it (most
     claims, then the earliest) as a `containing_only` claim, or else starts one of its own;
   * any other place joins the incidents it shares a place with (same, near, inside); when it
     meets two or more it bridges them: they are merged into the earliest, which keeps its id,
     and the others become `merged` with `merged_into`; an incident it only contains (the event
     names the village's district) gets it as a supporting claim; else it starts an incident.
Every touched incident's version grows by one per report version applied.
"""
from __future__ import annotations

from collections.abc import Iterable

from services.incidents.ports import Applied, Workspace
from services.incidents.reconcile import claim_order, reconcile
from services.incidents.rules import Relation, Rules, Window, is_coarse, overlaps, relation, union, window_of
from shared.messages import Claim, Incident, IncidentEvent, RegionClaims, derived_id

SUPPORT: frozenset[Relation] = frozenset({"contains"})


def claim_of(ev: IncidentEvent, rc: RegionClaims) -> Claim:
    return Claim(event_id=ev.id, article_id=rc.article_id, article_version=rc.version, claimed_by=ev.claimed_by,
                 source=ev.source or rc.source, published_at=ev.published_at or rc.published_at, count=ev.count,
                 killed=ev.killed, injured=ev.injured, damage=ev.damage, location=ev.location,
                 occurred_at=ev.occurred_at, evidence=list(ev.evidence))


def incident_window(incident: Incident, rules: Rules) -> Window | None:
    return union([window_of(c.occurred_at, c.published_at, rules) for c in incident.claims])


def _rank_key(incident: Incident) -> tuple[object, ...]:
    """Oldest first: the earliest report, then the id (deterministic)."""
    return incident.first_reported_at is None, incident.first_reported_at or 0, incident.id


class _Apply:
    """One report version applied to one region's workspace."""

    def __init__(self, ws: Workspace, rc: RegionClaims, rules: Rules) -> None:
        self.ws, self.rc, self.rules = ws, rc, rules
        self.before: dict[str, int] = {}  # incident id -> its version before this report (0: new)
        self.order: list[str] = []

    # --- writes --------------------------------------------------------------------------------
    def _touch(self, incident: Incident) -> None:
        if incident.id not in self.before:
            stored = self.ws.get(incident.id)
            self.before[incident.id] = stored.version if stored else 0
            self.order.append(incident.id)

    def _save(self, incident: Incident, claims: list[Claim], **update: object) -> Incident:
        self._touch(incident)
        base = self.before[incident.id]
        new = reconcile(incident, claims)
        status = update.get("status", "active" if claims else "retracted")
        change = {"merged": "merged", "retracted": "retracted"}.get(str(status), "created" if base == 0 else "updated")
        new = new.model_copy(update={"version": base + 1, "change": change, "status": status, **update})
        self.ws.put(new)
        return new

    def _create(self, claim: Claim, ev: IncidentEvent) -> Incident:
        n, incident_id = 1, derived_id("incident", claim.event_id)
        while self.ws.get(incident_id) is not None and incident_id not in self.before:
            n += 1
            incident_id = derived_id("incident", claim.event_id, n)
        seed = Incident(id=incident_id, version=1, change="created", type=ev.type, weapon=ev.weapon,
                        location=ev.location)
        return self._save(seed, [claim])

    # --- steps ---------------------------------------------------------------------------------
    def run(self) -> list[Incident]:
        done = self.ws.applied(self.rc.article_id)
        if done is not None and done.version > self.rc.version:
            return []
        if done is not None and done.version == self.rc.version:
            return [i for i in (self.ws.get(t) for t in done.touched) if i is not None]
        events = {ev.id: ev for ev in self.rc.events}
        placed = self._refresh(events)
        fresh = [ev for ev in self.rc.events if ev.id not in placed]
        for ev in sorted(fresh, key=lambda e: (is_coarse(e.location), e.id)):
            self._place(ev)
        self.ws.set_applied(self.rc.article_id, Applied(self.rc.version, list(self.order)))
        return [i for i in (self.ws.get(t) for t in self.order) if i is not None]

    def _refresh(self, events: dict[str, IncidentEvent]) -> set[str]:
        """Drop the report's claims whose event is gone; refresh the others. The event ids kept."""
        kept_ids: set[str] = set()
        for incident in self.ws.holding(self.rc.article_id):
            claims = []
            for c in incident.claims:
                if c.article_id != self.rc.article_id:
                    claims.append(c)
                elif c.event_id in events:
                    claims.append(claim_of(events[c.event_id], self.rc))
                    kept_ids.add(c.event_id)
            self._save(incident, claims)
        return kept_ids

    def _matches(self, ev: IncidentEvent, window: Window) -> list[tuple[Incident, Relation]]:
        slack = self.rules.slack
        found = []
        for incident in self.ws.candidates(ev.type, ev.weapon, window[0] - slack, window[1] + slack):
            if incident.status != "active" or (incident.type, incident.weapon) != (ev.type, ev.weapon):
                continue
            if any(c.article_id == self.rc.article_id for c in incident.claims):
                continue
            if not overlaps(incident_window(incident, self.rules), window, self.rules):
                continue
            rel = relation(ev.location, incident.location, self.rules)
            if rel is not None:
                found.append((incident, rel))
        return sorted(found, key=lambda m: _rank_key(m[0]))

    def _place(self, ev: IncidentEvent) -> None:
        claim = claim_of(ev, self.rc)
        window = window_of(claim.occurred_at, claim.published_at, self.rules)
        matches = self._matches(ev, window) if window is not None else []
        joins = [i for i, rel in matches if rel not in SUPPORT and not is_coarse(ev.location)]
        if joins:
            survivor = self._merge(joins)
            self._save(survivor, [*survivor.claims, claim])
        elif matches:
            best = min((i for i, _ in matches), key=lambda i: (-len(i.claims), *_rank_key(i)))
            self._save(best, [*best.claims, claim])
        else:
            self._create(claim, ev)

    def _merge(self, incidents: list[Incident]) -> Incident:
        """The earliest of `incidents` with the claims of every other one that shares no report with
        the group so far; those are marked merged into it. Returns the survivor's current state."""
        survivor, *others = incidents
        articles = {c.article_id for c in survivor.claims}
        claims = list(survivor.claims)
        for other in others:
            theirs = {c.article_id for c in other.claims}
            if articles & theirs:
                continue
            articles |= theirs
            claims.extend(other.claims)
            self._save(other, [], status="merged", merged_into=survivor.id,
                       **_keep_figures(other))
        if len(claims) == len(survivor.claims):
            return survivor
        return self._save(survivor, sorted(claims, key=claim_order))


def _keep_figures(incident: Incident) -> dict[str, object]:
    """A merged incident keeps its last reconciled figures for reference; its claims moved."""
    return {f: getattr(incident, f) for f in ("count", "count_range", "killed", "injured", "damage", "sources")}


def apply(ws: Workspace, rc: RegionClaims, rules: Rules | None = None) -> list[Incident]:
    """Apply one report version's events in one region; the incidents whose state is to be
    published, in the order they changed (see the module docstring)."""
    return _Apply(ws, rc, rules or Rules()).run()


def active_groups(incidents: Iterable[Incident]) -> list[set[str]]:
    """The active incidents as sets of event ids (what evaluation compares with its gold)."""
    return [{c.event_id for c in i.claims} for i in incidents if i.status == "active" and i.claims]
