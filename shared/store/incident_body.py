"""The public JSON of an incident: what the store keeps in `incidents.body`, what GET /v1/incidents
serves and what /v1/stream sends. The message's incident with its reconciled values flat (`count`,
`killed`, `injured`, `damage`), the claim each came from in `reconciled_from`, and the number of
claims; the claims themselves (the message's claims as they are) only where asked for."""
from __future__ import annotations

from typing import Any

from shared.messages.incidents import Incident

RECONCILED = ("count", "killed", "injured", "damage")


def public_incident(inc: Incident, *, claims: bool = False) -> dict[str, Any]:
    doc = inc.model_dump(mode="json", exclude={"claims", *RECONCILED})
    doc.update({name: getattr(inc, name).value for name in RECONCILED})
    doc["reconciled_from"] = {name: getattr(inc, name).event_id for name in RECONCILED}
    doc["claim_count"] = len(inc.claims)
    if claims:
        doc["claims"] = [c.model_dump(mode="json") for c in inc.claims]
    return doc
