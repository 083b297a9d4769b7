"""Feeds: RSS and Atom polled with conditional requests, new items taken in as reports, errors
backed off, and the admin API that manages the list. A local web server plays the publishers."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

LONG_BODY = ("Regional officials said on Thursday that air defence units intercepted several attack drones "
             "approaching the river port before dawn. Fragments fell on a warehouse roof in the industrial "
             "zone and started a small fire that firefighters put out within an hour. Nobody was hurt, "
             "and the morning ferry ran on schedule.")


def rss(items: list[tuple[str, str, str]]) -> str:
    out = ["<?xml version='1.0'?><rss version='2.0'><channel><title>River Gazette</title>",
           "<link>http://example.invalid/</link><language>en-gb</language>"]
    for guid, title, desc in items:
        out.append(f"<item><guid>{guid}</guid><title>{title}</title><link>http://example.invalid/{guid}</link>"
                   f"<author>desk@example.invalid (Night Desk)</author>"
                   f"<pubDate>Thu, 08 Oct 2026 04:30:00 GMT</pubDate><description>{desc}</description></item>")
    return "".join(out) + "</channel></rss>"


def atom(entries: list[tuple[str, str, str, str]]) -> str:
    out = ["<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>",
           "<title>Coastal Watch</title><id>urn:coastal</id><updated>2026-10-08T05:00:00Z</updated>"]
    for ident, updated, title, content in entries:
        out.append(f"<entry><id>{ident}</id><title>{title}</title><updated>{updated}</updated>"
                   f"<author><name>Mira Vale</name></author>"
                   f"<content type='html'>&lt;p&gt;{content}&lt;/p&gt;</content></entry>")
    return "".join(out) + "</feed>"


async def add_feed(client, url: str, **extra) -> dict:
    resp = await client.post("/v1/admin/feeds", json={"url": url, **extra})
    assert resp.status_code == 201, resp.text
    return resp.json()


async def poll(client, fid: str) -> dict:
    resp = await client.post(f"/v1/admin/feeds/{fid}/poll")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_rss_items_become_reports_and_the_second_poll_is_conditional(app_client, web, recorder):
    url = web.put("/rss.xml", rss([("a1", "Drones over the port", LONG_BODY),
                                   ("a2", "Second night", LONG_BODY.replace("Thursday", "Friday"))]),
                  content_type="application/rss+xml", etag='"v1"', last_modified="Thu, 08 Oct 2026 05:00:00 GMT")
    client = await app_client()
    feed = await add_feed(client, url, name="river-gazette")

    first = await poll(client, feed["id"])
    assert first["status"] == "ok" and first["accepted"] == 2
    report = recorder.sent[0].payload
    assert report.origin == "feed" and report.channel == "river-gazette" and report.source == "River Gazette"
    assert report.url == "http://example.invalid/a1" and report.title == "Drones over the port"
    assert report.author and "Night Desk" in report.author
    assert report.published_at == datetime(2026, 10, 8, 4, 30, tzinfo=UTC)
    assert report.fetched_at is not None and report.language == "en" and report.detected_language == "en"
    assert report.text.startswith("Regional officials said on Thursday")

    second = await poll(client, feed["id"])
    assert second["status"] == "not_modified" and len(recorder.sent) == 2
    sent = web.headers_of("/rss.xml")[-1]
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Thu, 08 Oct 2026 05:00:00 GMT"
    state = (await client.get(f"/v1/admin/feeds/{feed['id']}")).json()
    assert state["etag"] == '"v1"' and state["last_status"] == "304 not modified" and state["error_count"] == 0


async def test_atom_with_last_modified_only_new_and_changed_entries_are_taken(app_client, web, recorder):
    entries = [("urn:e1", "2026-10-08T05:00:00Z", "Harbour", LONG_BODY),
               ("urn:e2", "2026-10-08T05:10:00Z", "Bridge", LONG_BODY.replace("river port", "rail bridge"))]
    url = web.put("/atom.xml", atom(entries), content_type="application/atom+xml",
                  last_modified="Thu, 08 Oct 2026 05:10:00 GMT")
    client = await app_client()
    feed = await add_feed(client, url)
    assert (await poll(client, feed["id"]))["accepted"] == 2
    assert recorder.sent[0].payload.author == "Mira Vale" and recorder.sent[0].payload.channel == "Coastal Watch"

    assert (await poll(client, feed["id"]))["status"] == "not_modified"
    assert web.headers_of("/atom.xml")[-1]["if-modified-since"] == "Thu, 08 Oct 2026 05:10:00 GMT"

    # The publisher corrects one entry: only that one is taken again (a new version of the same report).
    entries[1] = ("urn:e2", "2026-10-08T06:00:00Z", "Bridge", LONG_BODY.replace("river port", "road bridge"))
    web.put("/atom.xml", atom(entries), content_type="application/atom+xml",
            last_modified="Thu, 08 Oct 2026 06:00:00 GMT")
    third = await poll(client, feed["id"])
    assert third["unchanged"] == 1 and third["accepted"] == 1
    first_id = recorder.sent[1].payload.id
    assert recorder.sent[-1].payload.id == first_id and "road bridge" in recorder.sent[-1].payload.text


async def test_item_with_only_a_teaser_is_completed_from_its_page(app_client, web, recorder):
    page = web.put("/story/7", "<html><head><title>Depot hit - Gazette</title>"
                   "<meta name='author' content='Ola Brandt'></head><body><nav>Menu</nav><article>"
                   f"<h1>Depot hit</h1><p>{LONG_BODY}</p><p>Repairs to the roof will take a week.</p>"
                   "</article></body></html>")
    feed_xml = (f"<rss version='2.0'><channel><title>Gazette</title><item><guid>s7</guid><title>Depot hit</title>"
                f"<link>{page}</link><description>Drones near the depot. Read more.</description></item>"
                "</channel></rss>")
    client = await app_client()
    feed = await add_feed(client, web.put("/teaser.xml", feed_xml, content_type="application/rss+xml"))
    result = await poll(client, feed["id"])
    assert result["accepted"] == 1, result
    [report] = [m.payload for m in recorder.sent]
    assert "Repairs to the roof will take a week." in report.text and "Menu" not in report.text
    assert report.url == page and report.author == "Ola Brandt"


async def test_failing_feed_backs_off_exponentially_up_to_the_cap_and_recovers(app_client, web, recorder):
    url = web.put("/broken.xml", "", status=500)
    client = await app_client(ingestion_feed_max_backoff_s=100.0)
    feed = await add_feed(client, url, interval_s=30)
    delays = []
    for _ in range(4):
        result = await poll(client, feed["id"])
        assert result["status"] == "error" and "HTTP 500" in result["errors"][0]
        state = (await client.get(f"/v1/admin/feeds/{feed['id']}")).json()
        polled = datetime.fromisoformat(state["last_polled_at"])
        delays.append(round((datetime.fromisoformat(state["next_poll_at"]) - polled).total_seconds()))
    assert delays == [30, 60, 100, 100]
    assert state["error_count"] == 4 and state["last_error"] == "HTTP 500"

    web.put("/broken.xml", rss([("b1", "Back", LONG_BODY)]), content_type="application/rss+xml")
    assert (await poll(client, feed["id"]))["accepted"] == 1
    state = (await client.get(f"/v1/admin/feeds/{feed['id']}")).json()
    assert state["error_count"] == 0 and state["last_error"] is None


@pytest.mark.parametrize("path, body, ctype, fragment", [
    ("/html.xml", "<html><body><p>Just a page.</p></body></html>", "text/html", "not a feed"),
    ("/missing.xml", None, None, "HTTP 404"),
])
async def test_a_url_that_is_not_a_feed_is_an_error_with_the_reason(app_client, web, path, body, ctype, fragment):
    url = web.put(path, body, content_type=ctype) if body else web.base + path
    client = await app_client()
    feed = await add_feed(client, url)
    result = await poll(client, feed["id"])
    assert result["status"] == "error" and fragment in result["errors"][0]


async def test_admin_api_manages_feeds(app_client, web):
    client = await app_client()
    url = web.put("/a.xml", rss([]), content_type="application/rss+xml")
    feed = await add_feed(client, url, name="a", interval_s=60)
    assert feed["interval_s"] == 60 and feed["enabled"] is True and feed["origin"] == "api"
    assert (await client.post("/v1/admin/feeds", json={"url": url})).status_code == 409
    bad = await client.post("/v1/admin/feeds", json={"url": "ftp://x/feed"})
    assert bad.status_code == 422 and "url" in bad.json()["error"]
    assert (await client.post("/v1/admin/feeds", json={"url": url + "2", "interval_s": 1})).status_code == 422

    changed = await client.patch(f"/v1/admin/feeds/{feed['id']}", json={"interval_s": 120, "enabled": False})
    assert changed.json()["interval_s"] == 120 and changed.json()["enabled"] is False
    for null in ({"interval_s": None}, {"enabled": None}):  # was a 500 (NOT NULL in the store); found by fuzzing
        refused = await client.patch(f"/v1/admin/feeds/{feed['id']}", json=null)
        assert refused.status_code == 422 and next(iter(null)) in refused.json()["error"], refused.text
    assert (await client.get(f"/v1/admin/feeds/{feed['id']}")).json()["interval_s"] == 120
    assert [f["id"] for f in (await client.get("/v1/admin/feeds")).json()] == [feed["id"]]
    assert (await client.delete(f"/v1/admin/feeds/{feed['id']}")).status_code == 204
    assert (await client.get(f"/v1/admin/feeds/{feed['id']}")).status_code == 404
    assert (await client.delete(f"/v1/admin/feeds/{feed['id']}")).status_code == 404


async def test_feeds_file_is_loaded_at_start_and_polled_on_schedule(app_client, web, recorder, tmp_path):
    url = web.put("/sched.xml", rss([("c1", "Scheduled", LONG_BODY)]), content_type="application/rss+xml")
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(f"feeds:\n  - url: {url}\n    name: scheduled\n    interval_s: 60\n")
    client = await app_client(ingestion_feeds_file=feeds_file, ingestion_feeds_enabled=True)
    [feed] = (await client.get("/v1/admin/feeds")).json()
    assert feed["origin"] == "file" and feed["name"] == "scheduled" and feed["interval_s"] == 60
    for _ in range(200):  # the background poller takes the due feed without being asked
        if recorder.sent:
            break
        await asyncio.sleep(0.05)
    assert [m.payload.channel for m in recorder.sent] == ["scheduled"]


def test_a_bad_feeds_file_says_which_feed_is_wrong(tmp_path):
    from services.ingestion.sources.feeds import load_feeds_file

    path = tmp_path / "feeds.json"
    path.write_text('[{"url": "https://ok.example/rss"}, {"url": "gopher://old"}]')
    with pytest.raises(ValueError, match="feed 2: url"):
        load_feeds_file(path)
