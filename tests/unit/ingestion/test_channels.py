"""Following Telegram channels through their web preview, served by a local server in the
preview's HTML structure: new posts and edits become report versions, deleted posts are withdrawn,
media and service posts are skipped and counted, forwards keep their origin, backfills walk back page
by page and survive a 429 in the middle, and the admin API and the CLI manage the list."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.ingestion.sources.registry import load_registry
from tests.telegram_preview import T0, PreviewChannel

REGISTRY = """
channels:
  - {channel: smolensk_gov, owner: Governor Vasily Anokhin, role: regional governor, region: RU-SMO}
  - {channel: mod_russia, owner: Russian Ministry of Defense, role: ministry of defence, region: RU}
"""
UAV = "Dear Smolensk residents, one UAV was destroyed by air defence tonight."


@pytest.fixture
def follow(app_client, web, tmp_path):
    """Start ingestion pointed at the local preview server, with the test registry."""
    registry = tmp_path / "registry.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")

    async def start(**overrides):
        return await app_client(ingestion_telegram_preview_url=web.base, ingestion_channel_registry_file=registry,
                                **overrides)
    return start


async def add(client, name: str, **extra) -> dict:
    resp = await client.post("/v1/admin/channels", json={"name": name, **extra})
    assert resp.status_code == 201, resp.text
    return resp.json()


async def poll(client, name: str) -> dict:
    resp = await client.post(f"/v1/admin/channels/{name}/poll")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def state(client, name: str) -> dict:
    return (await client.get(f"/v1/admin/channels/{name}")).json()


def versions(recorder, post_id: str) -> list:
    return recorder.by_id(post_id)


async def test_posts_edits_deletions_media_service_and_forwards(follow, web, recorder):
    ch = PreviewChannel("smolensk_gov", "Governor of Smolensk Oblast")
    ch.post(10, UAV)
    ch.post(11, media=True)
    ch.post(12, service="Channel photo updated")
    ch.post(13, "Two drones were shot down over the Kursk region.", forwarded_from=("mod_russia", "Минобороны"))
    ch.post(14, "Governor Anokhin said the school in Yartsevo will reopen on Monday.")
    ch.serve(web)
    client = await follow()
    added = await add(client, "@smolensk_gov")
    assert added["owner"] == "Governor Vasily Anokhin" and added["region"] == "RU-SMO"

    first = await poll(client, "smolensk_gov")
    assert (first["status"], first["accepted"], first["skipped_media"], first["skipped_service"]) == ("ok", 3, 1, 1)
    [report] = versions(recorder, "telegram:smolensk_gov:10")
    assert report.origin == "telegram" and report.text == UAV and report.channel == "Governor of Smolensk Oblast"
    assert report.url == "https://t.me/smolensk_gov/10" and report.published_at == T0 + timedelta(minutes=10)
    ctx = report.source_context
    assert (ctx.channel, ctx.owner, ctx.role, ctx.region) == ("smolensk_gov", "Governor Vasily Anokhin",
                                                                "regional governor", "RU-SMO")
    [forward] = versions(recorder, "telegram:smolensk_gov:13")
    assert forward.source_context.forwarded_from == "mod_russia"
    assert forward.source_context.owner == "Russian Ministry of Defense"  # the voice of the channel it came from
    assert forward.source_context.region == "RU"

    ch.edit(10, "Dear Smolensk residents, two UAVs were destroyed by air defence tonight.")
    ch.delete(14)
    ch.post(15, "A new post.")
    second = await poll(client, "smolensk_gov")
    assert (second["accepted"], second["edited"], second["deleted"], second["unchanged"]) == (1, 1, 1, 1)
    assert second["skipped_media"] == second["skipped_service"] == 0  # each skip is counted once
    v1, v2 = versions(recorder, "telegram:smolensk_gov:10")
    assert (v2.version, v2.previous_text, v2.text) == (2, UAV, ch.posts[10].text)
    gone = versions(recorder, "telegram:smolensk_gov:14")
    assert [(m.version, m.withdrawn) for m in gone] == [(1, False), (2, True)]
    assert gone[1].text == gone[1].previous_text == gone[0].text

    third = await poll(client, "smolensk_gov")
    assert (third["accepted"], third["edited"], third["deleted"], third["unchanged"]) == (0, 0, 0, 3)
    s = await state(client, "smolensk_gov")
    assert (s["last_post_id"], s["taken"], s["edited"], s["deleted"], s["skipped_media"], s["skipped_service"]) \
        == (15, 4, 1, 1, 1, 1)
    assert s["title"] == "Governor of Smolensk Oblast" and s["error_count"] == 0 and s["last_polled_at"]

    ch.edit(13, "Three drones were shot down over the Kursk region.")
    await poll(client, "smolensk_gov")  # edited (stamped when seen)...
    ch.delete(13)
    await poll(client, "smolensk_gov")  # ...then deleted, then back with its first text (older than the edit)
    ch.post(13, "Two drones were shot down over the Kursk region.", forwarded_from=("mod_russia", "Минобороны"))
    ch.post(14, "Governor Anokhin said the school in Yartsevo will reopen on Monday.")  # restored
    await poll(client, "smolensk_gov")
    assert [(m.version, m.withdrawn) for m in versions(recorder, "telegram:smolensk_gov:14")][-1] == (3, False)
    assert [(m.version, m.withdrawn) for m in versions(recorder, "telegram:smolensk_gov:13")] == [
        (1, False), (2, False), (3, True), (4, False)]


async def test_backfill_from_a_post_id_walks_back_page_by_page_then_follows_live(follow, web, recorder):
    ch = PreviewChannel("smolensk_gov", "Governor", page_size=3)
    for i in range(1, 15):
        ch.post(i, f"Post number {i} of the day.")
    ch.serve(web)
    client = await follow()
    await add(client, "smolensk_gov", backfill_from_id=5)
    result = await poll(client, "smolensk_gov")
    assert result["status"] == "ok" and result["pages"] == 4 and not result["backfilling"]
    taken = sorted(int(m.payload.id.rsplit(":", 1)[1]) for m in recorder.sent)
    assert taken == list(range(5, 15))
    pages = [p for p, _ in web.requests]
    assert pages == ["/s/smolensk_gov", "/s/smolensk_gov?before=12", "/s/smolensk_gov?before=9",
                     "/s/smolensk_gov?before=6"]
    ch.post(15, "Post number 15 of the day.")
    await poll(client, "smolensk_gov")
    assert len(recorder.sent) == 11 and (await state(client, "smolensk_gov"))["last_post_id"] == 15


async def test_backfill_from_a_date_and_a_page_budget_per_poll(follow, web, recorder):
    ch = PreviewChannel("smolensk_gov", "Governor", page_size=2)
    for i in range(1, 11):
        ch.post(i, f"Post number {i} of the day.", date=T0 + timedelta(hours=i))
    ch.serve(web)
    client = await follow(ingestion_channel_max_pages=2)
    await add(client, "smolensk_gov", backfill_from_date=(T0 + timedelta(hours=4)).isoformat())
    first = await poll(client, "smolensk_gov")
    assert first["backfilling"] and first["pages"] == 3  # the newest page and two older ones
    s = await state(client, "smolensk_gov")
    assert s["backfilling"] and s["cursor"] == 5 and s["last_post_id"] is None
    assert datetime.fromisoformat(s["next_poll_at"]) <= datetime.now(UTC)  # goes on at once
    await poll(client, "smolensk_gov")
    taken = sorted(int(m.payload.id.rsplit(":", 1)[1]) for m in recorder.sent)
    assert taken == list(range(4, 11))
    s = await state(client, "smolensk_gov")
    assert not s["backfilling"] and s["last_post_id"] == 10


async def test_a_429_in_the_middle_of_a_backfill_loses_nothing_and_takes_nothing_twice(follow, web, recorder):
    ch = PreviewChannel("smolensk_gov", "Governor", page_size=3, retry_after_s=7)
    for i in range(1, 13):
        ch.post(i, f"Post number {i} of the day.")
    ch.serve(web)
    ch.flood(before=7, times=2)
    client = await follow(ingestion_channel_default_interval_s=10, ingestion_channel_max_backoff_s=15)
    await add(client, "smolensk_gov", backfill_from_id=1)

    started = datetime.now(UTC)
    out = await poll(client, "smolensk_gov")
    assert out["status"] == "flood_wait" and out["pages"] == 2 and "7 s" in out["errors"][0]
    s = await state(client, "smolensk_gov")
    assert s["cursor"] == 7 and s["error_count"] == 1 and s["last_post_id"] == 0
    wait = (datetime.fromisoformat(s["next_poll_at"]) - started).total_seconds()
    assert 10 <= wait < 12  # the interval, since Telegram asked for less
    assert s["last_error"].startswith("flood wait")

    again = await poll(client, "smolensk_gov")  # still flooded: the wait doubles, up to the cap
    s = await state(client, "smolensk_gov")
    assert again["status"] == "flood_wait" and s["error_count"] == 2
    assert 14 <= (datetime.fromisoformat(s["next_poll_at"]) - datetime.now(UTC)).total_seconds() <= 15

    done = await poll(client, "smolensk_gov")  # Telegram lets us in again: the walk resumes where it was
    assert done["status"] == "ok" and not done["backfilling"]
    ids = [m.payload.id for m in recorder.sent]
    assert sorted(ids) == sorted(f"telegram:smolensk_gov:{i}" for i in range(1, 13))  # each once
    s = await state(client, "smolensk_gov")
    assert (s["last_post_id"], s["error_count"], s["taken"]) == (12, 0, 12)
    assert [p for p, _ in web.requests][-2:] == ["/s/smolensk_gov?before=7", "/s/smolensk_gov?before=4"]


async def test_the_preview_address_goes_through_the_public_address_guard(follow, web, recorder):
    PreviewChannel("smolensk_gov", "Governor").serve(web)
    client = await follow(ingestion_fetch_allow_private=False)
    await add(client, "smolensk_gov")
    out = await poll(client, "smolensk_gov")
    assert out["status"] == "error" and "loopback" in out["errors"][0] and not recorder.sent
    assert not web.requests


async def test_admin_api_manages_channels_and_the_channels_file_is_loaded_at_start(follow, web, tmp_path):
    listed = tmp_path / "channels.yaml"
    listed.write_text("channels:\n  - mod_russia\n  - {name: smolensk_gov, interval_s: 60, backfill_from_id: 3}\n")
    client = await follow(ingestion_channels_file=listed)
    names = {c["name"]: c for c in (await client.get("/v1/admin/channels")).json()}
    assert set(names) == {"mod_russia", "smolensk_gov"} and names["smolensk_gov"]["origin"] == "file"
    assert names["smolensk_gov"]["last_post_id"] == 2 and names["smolensk_gov"]["interval_s"] == 60
    assert (await client.post("/v1/admin/channels", json={"name": "Mod_Russia"})).status_code == 409
    bad = await client.post("/v1/admin/channels", json={"name": "no spaces allowed"})
    assert bad.status_code == 422 and "name" in bad.text
    changed = await client.patch("/v1/admin/channels/mod_russia", json={"enabled": False, "backfill_from_id": 40})
    assert changed.status_code == 200 and not changed.json()["enabled"] and changed.json()["last_post_id"] == 39
    assert (await client.delete("/v1/admin/channels/mod_russia")).status_code == 204
    assert (await client.get("/v1/admin/channels/mod_russia")).status_code == 404
    assert (await client.post("/v1/admin/channels/mod_russia/poll")).status_code == 404


def test_the_cli_adds_lists_polls_and_removes_channels(make_settings, web, recorder, capsys, tmp_path):
    from dronewatch.cli import main
    from services.ingestion.api import create_app
    from tests.unit.ingestion.local_web import serve_app

    ch = PreviewChannel("smolensk_gov", "Governor")
    ch.post(1, UAV)
    ch.serve(web)
    (tmp_path / "r.yaml").write_text(REGISTRY, encoding="utf-8")
    settings = make_settings(ingestion_telegram_preview_url=web.base,
                             ingestion_channel_registry_file=tmp_path / "r.yaml")
    with serve_app(create_app(settings, publisher=recorder)) as url:
        assert main(["channels", "add", "smolensk_gov", "--from-id", "1", "--url", url]) == 0
        assert json.loads(capsys.readouterr().out)["last_post_id"] == 0
        assert main(["channels", "poll", "smolensk_gov", "--url", url]) == 0
        assert json.loads(capsys.readouterr().out)["accepted"] == 1
        assert main(["channels", "list", "--url", url]) == 0
        listing = capsys.readouterr().out
        assert "smolensk_gov" in listing and "taken 1" in listing and "Governor Vasily Anokhin, RU-SMO" in listing
        assert main(["channels", "add", "smolensk_gov", "--url", url]) == 1
        assert "409" in capsys.readouterr().err
        assert main(["channels", "remove", "smolensk_gov", "--url", url]) == 0
        assert main(["channels", "remove", "smolensk_gov", "--url", url]) == 1


def test_the_registry_gives_who_speaks_and_for_where(tmp_path):
    registry = tmp_path / "r.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")
    reg = load_registry(registry)
    assert reg.context("SMOLENSK_GOV").owner == "Governor Vasily Anokhin"
    unknown_origin = reg.context("smolensk_gov", forwarded_from="someone_else")
    assert unknown_origin.owner is None and unknown_origin.region == "RU-SMO"  # not the governor's words
    assert reg.context("nobody").owner is None and reg.context("nobody").region is None
    starter = load_registry(None)
    assert starter.get("kpszsu").region == "UA" and starter.get("mod_russia").owner == "Russian Ministry of Defense"
    registry.write_text("channels:\n  - {channel: x_chan, region: Smolensk}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="channel 1: region"):
        load_registry(registry)


async def test_the_follower_runs_on_its_own_schedule(follow, web, recorder):
    ch = PreviewChannel("smolensk_gov", "Governor")
    ch.post(1, UAV)
    ch.serve(web)
    client = await follow(ingestion_channels_enabled=True)
    await add(client, "smolensk_gov")
    for _ in range(200):
        if recorder.sent:
            break
        await asyncio.sleep(0.05)
    assert [m.payload.id for m in recorder.sent] == ["telegram:smolensk_gov:1"]
