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


async def test_a_batch_gives_what_the_reports_one_by_one_give():
    articles = [report("r1", SHEBEKINO), report("r2", SHEBEKINO, at=timedelta(hours=1)),
                report("r3", GRAIVORON, KURSK_CITY), report("r1", GRAIVORON, version=2)]
    one_by_one = Pipeline()
    expected = []
    for a in articles:
        expected.extend(await one_by_one.feed(a))
    batched = await run_batched(articles)
    assert [(m.event_id, m.payload) for m in batched] == [(m.event_id, m.payload) for m in expected]


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
