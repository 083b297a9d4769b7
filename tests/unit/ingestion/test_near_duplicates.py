"""Near-duplicates: a repost or a light rewrite of an earlier report is accepted, processed and
linked to the original; an unrelated report on the same subject is not linked; the link survives
a restart (the index is rebuilt from the outbox)."""
from __future__ import annotations

from services.ingestion.dedup import NearDuplicateIndex

ORIGINAL = ("Late on Tuesday evening air defence forces intercepted eleven attack drones over the lake district, "
            "the regional administration said. Falling wreckage broke windows in two apartment blocks on Birch "
            "Street and damaged a parked bus. Emergency services reported no injuries, and traffic on the ring "
            "road resumed after a short closure.")
# A repost by another channel: a prefix, one changed word, a sign-off.
REPOST = ("REPOST: " + ORIGINAL.replace("eleven", "11") + " Follow us for updates.")
# Same kind of event, different report.
OTHER = ("On Wednesday morning a missile hit a grain terminal in the southern port, the harbour authority "
         "reported. Two cranes were destroyed and a fire burned for several hours before crews contained it. "
         "Three dock workers were taken to hospital with burns.")


def test_index_links_reposts_and_not_different_reports():
    index = NearDuplicateIndex(threshold=0.7, num_perm=128)
    index.add("orig", ORIGINAL)
    assert index.find(REPOST) == "orig"
    assert index.find(OTHER) is None
    assert index.find(ORIGINAL, exclude="orig") is None  # a report is not its own near-duplicate
    assert index.find("Drones over the lake.") is None  # too short to judge


async def test_repost_is_accepted_and_linked_to_the_original(app_client, recorder):
    client = await app_client()
    first = await client.post("/v1/articles", json={"id": "lake-1", "text": ORIGINAL})
    assert first.json() == {"id": "lake-1", "status": "accepted"}
    repost = await client.post("/v1/articles", json={"id": "lake-1-repost", "text": REPOST})
    assert repost.status_code == 202
    assert repost.json() == {"id": "lake-1-repost", "status": "accepted", "near_duplicate_of": "lake-1"}
    assert recorder.by_id("lake-1-repost")[0].near_duplicate_of == "lake-1"
    other = await client.post("/v1/articles", json={"id": "port-1", "text": OTHER})
    assert "near_duplicate_of" not in other.json() and recorder.by_id("port-1")[0].near_duplicate_of is None


async def test_batch_results_carry_the_link(app_client):
    client = await app_client()
    resp = await client.post("/v1/articles/batch", json={"articles": [{"id": "b-1", "text": ORIGINAL},
                                                                      {"id": "b-2", "text": REPOST}]})
    results = resp.json()["results"]
    assert "near_duplicate_of" not in results[0] and results[1]["near_duplicate_of"] == "b-1"


async def test_exact_duplicates_stay_duplicates(app_client, recorder):
    client = await app_client()
    await client.post("/v1/articles", json={"id": "x-1", "text": ORIGINAL})
    again = await client.post("/v1/articles", json={"id": "x-2", "text": ORIGINAL.upper()})
    assert again.status_code == 200 and again.json() == {"id": "x-1", "status": "duplicate"}
    assert len(recorder.sent) == 1


async def test_the_index_is_rebuilt_from_the_outbox_after_a_restart(app_client, recorder):
    before = await app_client()
    await before.post("/v1/articles", json={"id": "old-1", "text": ORIGINAL})
    after = await app_client()  # a second app over the same outbox file: a restarted service
    resp = await after.post("/v1/articles", json={"id": "new-1", "text": REPOST})
    assert resp.json()["near_duplicate_of"] == "old-1"


async def test_the_rebuild_is_bounded_by_age(app_client):
    before = await app_client()
    await before.post("/v1/articles", json={"id": "old-2", "text": ORIGINAL})
    after = await app_client(ingestion_near_dup_window_days=0.0)
    resp = await after.post("/v1/articles", json={"id": "new-2", "text": REPOST})
    assert "near_duplicate_of" not in resp.json()


def test_a_full_index_forgets_its_oldest_reports_first():
    index = NearDuplicateIndex(max_size=2)
    index.add("orig", ORIGINAL)
    index.add("other", OTHER)
    index.add("orig", ORIGINAL)  # a new version of the same report moves it to the young end
    index.add("third", "A completely different story about a bridge closed for repairs after heavy flooding rains.")
    assert len(index) == 2 and index.find(REPOST) == "orig" and index.find(OTHER) is None
