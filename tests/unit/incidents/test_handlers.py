"""The handlers' batch forms and their rejections (in memory)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.incidents.adapters.memory import MemoryState
from services.incidents.handlers import handle_claims_routed_many, handle_events_geocoded_many
from services.incidents.rules import Rules
from shared.kafka.errors import RejectMessage
from shared.messages import ClaimsRouted
from tests.unit.incidents.pipeline import Pipeline, as_message
from tests.unit.incidents.reports import GRAIVORON, KURSK_CITY, SHEBEKINO, report


async def run_batched(articles):
    state = MemoryState()
    routed = await handle_events_geocoded_many([as_message(a) for a in articles], state=state)
    return await handle_claims_routed_many(routed, state=state, rules=Rules())


async def test_a_batch_gives_the_last_states_the_reports_one_by_one_give():
    articles = [report("r1", SHEBEKINO), report("r2", SHEBEKINO, at=timedelta(hours=1)),
                report("r3", GRAIVORON, KURSK_CITY), report("r1", GRAIVORON, version=2)]
    one_by_one = Pipeline()
    for a in articles:
        await one_by_one.feed(a)
    batched = await run_batched(articles)
    assert len({m.payload.id for m in batched}) == len(batched)  # each incident once, in its last state
    assert {m.payload.id: m.payload for m in batched} == one_by_one.latest


async def test_events_of_another_article_are_rejected_with_the_reason():
    article = report("r1", SHEBEKINO).model_copy(update={"article_id": "r2"})
    with pytest.raises(RejectMessage, match="belong to another article"):
        await handle_events_geocoded_many([as_message(article)], state=MemoryState())


async def test_claims_routed_to_the_wrong_region_are_rejected_with_the_reason():
    state = MemoryState()
    [routed] = await handle_events_geocoded_many([as_message(report("r1", SHEBEKINO))], state=state)
    wrong = ClaimsRouted.create(producer="test", correlation_id="r1",
                                payload=routed.payload.model_copy(update={"region": "RU-KRS"}))
    with pytest.raises(RejectMessage, match="not of article 'r1' in region 'RU-KRS'"):
        await handle_claims_routed_many([wrong], state=state, rules=Rules())


async def test_a_message_carries_a_bounded_number_of_claims_and_says_how_many_there_are():
    state = MemoryState()
    articles = [report(f"r{n}", SHEBEKINO, at=timedelta(minutes=n), count=n + 1,
                       claimed_by="Governor" if n == 0 else None) for n in range(12)]
    routed = await handle_events_geocoded_many([as_message(a) for a in articles], state=state)
    [msg] = await handle_claims_routed_many(routed, state=state, rules=Rules(), max_claims=5)
    incident = msg.payload
    assert incident.claims_total == 12 and len(incident.claims) == 5
    assert incident.sources == 12 and incident.count.value == 1  # the governor's, from the first report
    ids = {c.event_id for c in incident.claims}
    assert incident.count.event_id in ids and articles[-1].events[0].id in ids
