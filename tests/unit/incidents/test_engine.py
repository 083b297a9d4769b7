"""The incidents engine through the service's handlers, in memory: the behaviours issue 16 asks
for, on our own reports."""
from __future__ import annotations

from datetime import timedelta

from services.incidents.grouping import group_events
from tests.unit.incidents.pipeline import Pipeline
from tests.unit.incidents.reports import (
    BELGOROD_REGION,
    GRAIVORON,
    KURSK_CITY,
    MASLOVA,
    NOVAYA_TAVOLZHANKA,
    SHEBEKINO,
    SHEBEKINSKY,
    T0,
    report,
)

H = timedelta(hours=1)


async def test_three_reports_in_three_languages_make_one_incident_with_three_claims():
    p = Pipeline()
    await p.feed(report("gov-ru", SHEBEKINO, language="ru", count=3, claimed_by="Governor"))
    await p.feed(report("news-en", SHEBEKINO, at=2 * H, language="en", count=3))
    await p.feed(report("outlet-uk", SHEBEKINO, at=3 * H, language="uk", count=4))
    [incident] = p.active()
    assert {c.article_id for c in incident.claims} == {"gov-ru", "news-en", "outlet-uk"}
    assert incident.sources == 3
    assert incident.count.value == 3 and incident.count.event_id == incident.claims[0].event_id  # the official one
    assert incident.count_range == (3, 4)
    assert incident.first_reported_at == T0 and incident.last_reported_at == T0 + 3 * H
    assert incident.version == 3 and incident.change == "updated"


async def test_the_same_place_a_week_later_is_a_second_incident():
    p = Pipeline()
    await p.feed(report("r1", SHEBEKINO))
    await p.feed(report("r2", SHEBEKINO, at=timedelta(days=7)))
    assert len(p.active()) == 2


async def test_other_type_or_weapon_is_another_incident():
    p = Pipeline()
    await p.feed(report("r1", SHEBEKINO))
    await p.feed(report("r2", SHEBEKINO, weapon="missile"))
    await p.feed(report("r3", SHEBEKINO, type_="interception"))
    assert len(p.active()) == 3


async def test_a_place_far_away_is_another_incident_and_a_near_one_the_same():
    p = Pipeline()
    await p.feed(report("r1", SHEBEKINO))
    await p.feed(report("r2", GRAIVORON, at=H))
    await p.feed(report("r3", NOVAYA_TAVOLZHANKA, at=2 * H))  # 8 km from Shebekino
    groups = sorted(sorted(c.article_id for c in i.claims) for i in p.active())
    assert groups == [["r1", "r3"], ["r2"]]


async def test_a_report_never_merges_with_itself():
    p = Pipeline()
    await p.feed(report("r1", SHEBEKINO, NOVAYA_TAVOLZHANKA))
    assert len(p.active()) == 2


async def test_a_casualty_update_raises_the_toll():
    p = Pipeline()
    await p.feed(report("gov-1", SHEBEKINO, claimed_by="Governor", killed=1, injured=2))
    [incident] = p.active()
    assert (incident.killed.value, incident.injured.value) == (1, 2)
    await p.feed(report("gov-2", SHEBEKINO, at=4 * H, claimed_by="Governor", killed=2, injured=5))
    [incident] = p.active()
    assert (incident.killed.value, incident.injured.value) == (2, 5)
    assert incident.killed.event_id == next(c.event_id for c in incident.claims if c.article_id == "gov-2")


async def test_damage_is_true_if_any_claim_reports_it():
    p = Pipeline()
    await p.feed(report("r1", SHEBEKINO, damage=False))
    await p.feed(report("r2", SHEBEKINO, at=H, damage=True))
    [incident] = p.active()
    assert incident.damage.value is True


async def test_an_edit_that_moves_the_place_moves_the_claim():
    p = Pipeline()
    await p.feed(report("r1", SHEBEKINO))
    await p.feed(report("r2", GRAIVORON, at=H))
    await p.feed(report("r3", SHEBEKINO, at=2 * H))
    # r3 is edited: it was about Graivoron
    out = await p.feed(report("r3", GRAIVORON, at=2 * H, version=2))
    groups = sorted(sorted(c.article_id for c in i.claims) for i in p.active())
    assert groups == [["r1"], ["r2", "r3"]]
    assert {m.payload.change for m in out} == {"updated"}


async def test_an_edit_into_another_region_moves_the_claim_there():
    p = Pipeline()
    await p.feed(report("k1", KURSK_CITY))
    await p.feed(report("r1", SHEBEKINO, at=H))
    await p.feed(report("r1", KURSK_CITY, at=H, version=2))
    [incident] = p.active()
    assert sorted(c.article_id for c in incident.claims) == ["k1", "r1"]
    assert [i.status for i in p.latest.values() if i.id != incident.id] == ["retracted"]


async def test_a_retraction_withdraws_the_claims_and_an_empty_incident_is_retracted():
    p = Pipeline()
    await p.feed(report("r1", SHEBEKINO, count=5))
    await p.feed(report("r2", SHEBEKINO, at=H, count=3))
    [incident] = p.active()
    await p.feed(report("r2", at=H, version=2, withdrawn=True))
    [incident] = p.active()
    assert [c.article_id for c in incident.claims] == ["r1"] and incident.count.value == 5
    out = await p.feed(report("r1", version=2, withdrawn=True))
    assert p.active() == []
    [gone] = [m.payload for m in out]
    assert gone.status == "retracted" and gone.change == "retracted" and gone.claims == []


async def test_a_report_that_bridges_two_incidents_merges_them():
    p = Pipeline()
    # Maslova Pristan and Novaya Tavolzhanka are ~21 km apart; Shebekino lies ~13 and ~10 km from them.
    await p.feed(report("r1", MASLOVA))
    await p.feed(report("r2", NOVAYA_TAVOLZHANKA, at=H))
    assert len(p.active()) == 2
    first = min(p.active(), key=lambda i: i.first_reported_at)
    out = await p.feed(report("r3", SHEBEKINO, at=2 * H))
    [survivor] = p.active()
    assert survivor.id == first.id
    assert sorted(c.article_id for c in survivor.claims) == ["r1", "r2", "r3"]
    merged = [m.payload for m in out if m.payload.status == "merged"]
    assert len(merged) == 1 and merged[0].merged_into == survivor.id and merged[0].change == "merged"


async def test_a_claim_for_the_containing_region_supports_the_incident_without_moving_it():
    p = Pipeline()
    await p.feed(report("gov", SHEBEKINO, count=3, claimed_by="Governor"))
    await p.feed(report("mod", BELGOROD_REGION, at=H, count=27, claimed_by="Ministry of Defence"))
    [incident] = p.active()
    assert incident.location.name == "Shebekino"
    mod = next(c for c in incident.claims if c.article_id == "mod")
    assert mod.containing_only
    assert incident.count.value == 3 and incident.count_range is None  # the region's total is not this incident's


async def test_a_region_claim_alone_is_an_incident_that_a_later_specific_report_locates():
    p = Pipeline()
    await p.feed(report("mod", BELGOROD_REGION, count=27, claimed_by="Ministry of Defence"))
    [incident] = p.active()
    assert incident.location.precision == "admin1"
    await p.feed(report("gov", SHEBEKINO, at=H, count=3))
    [incident] = p.active()
    assert incident.location.name == "Shebekino" and incident.sources == 2


async def test_a_district_claim_joins_a_village_in_it():
    p = Pipeline()
    await p.feed(report("r1", MASLOVA))
    await p.feed(report("r2", SHEBEKINSKY, at=H))
    [incident] = p.active()
    assert incident.location.name == "Maslova Pristan"


async def test_a_redelivered_report_publishes_the_same_messages_again():
    p = Pipeline()
    first = await p.feed(report("r1", SHEBEKINO))
    again = await p.feed(report("r1", SHEBEKINO))
    assert [m.event_id for m in again] == [m.event_id for m in first]
    assert [m.payload for m in again] == [m.payload for m in first]


async def test_an_older_version_arriving_late_changes_nothing():
    p = Pipeline()
    await p.feed(report("r1", GRAIVORON, version=2))
    assert await p.feed(report("r1", SHEBEKINO, version=1)) == []
    [incident] = p.active()
    assert incident.location.name == "Graivoron"


def test_group_events_gives_every_event_one_group():
    articles = [report("b", SHEBEKINO, at=H), report("a", SHEBEKINO), report("c", GRAIVORON),
                report("d", SHEBEKINO, at=timedelta(days=3))]
    groups = group_events(articles)
    ids = {a.article_id: a.events[0].id for a in articles}
    assert sorted(map(sorted, groups)) == sorted([sorted([ids["a"], ids["b"]]), [ids["c"]], [ids["d"]]])
