"""Telegram: channel history from a Telegram Desktop export and single posts by channel and
message id; a post's report id is stable, so an edited post comes in as the same report with its
edited text."""
from __future__ import annotations

import pytest

from services.ingestion.sources.telegram import export_posts

EXPORT = {
    "name": "Night Sky Monitor", "type": "public_channel", "id": 1700000001,
    "messages": [
        {"id": 1, "type": "service", "date": "2026-10-01T09:00:00", "actor": "Night Sky Monitor",
         "action": "create_channel", "title": "Night Sky Monitor", "text": ""},
        {"id": 2, "type": "message", "date": "2026-10-08T02:10:00", "date_unixtime": "1791425400",
         "from": "Night Sky Monitor", "author": "duty officer",
         "text": "Three drones were downed over the northern suburbs overnight, no casualties reported."},
        {"id": 3, "type": "message", "date": "2026-10-08T03:00:00", "date_unixtime": "1791428400",
         "edited": "2026-10-08T03:20:00", "edited_unixtime": "1791429600", "from": "Night Sky Monitor",
         "text": ["Update: ", {"type": "bold", "text": "debris"}, " damaged a garage on Poplar Lane. ",
                  {"type": "link", "text": "https://example.invalid/photo"}]},
        {"id": 4, "type": "message", "date": "2026-10-08T03:30:00", "date_unixtime": "1791430200",
         "from": "Night Sky Monitor", "photo": "photos/photo_1.jpg", "text": ""},
    ],
}


def test_export_yields_posts_skips_service_messages_and_says_why_others_are_not_reports():
    out = list(export_posts(EXPORT, channel="nightsky"))
    assert [mid for mid, _ in out] == [2, 3, 4]
    (_, plain), (_, edited), (_, media) = out
    assert plain.channel == "nightsky" and plain.channel_title == "Night Sky Monitor"
    assert plain.author == "duty officer" and plain.date.isoformat() == "2026-10-08T02:10:00+00:00"
    article = edited.to_article()
    assert article.id == "telegram:nightsky:3" and article.url == "https://t.me/nightsky/3"
    assert article.text == "Update: debris damaged a garage on Poplar Lane. https://example.invalid/photo"
    assert edited.edited is not None and edited.edited > edited.date
    assert media == "no text (media only)"


def test_without_a_username_the_numeric_channel_id_keys_the_reports_and_there_is_no_link():
    [(_, post), *_] = export_posts(EXPORT)
    article = post.to_article()
    assert article.id == "telegram:1700000001:2" and article.url is None and article.channel == "Night Sky Monitor"


def test_whole_account_exports_are_read_chat_by_chat():
    data = {"chats": {"list": [EXPORT, {**EXPORT, "id": 1700000002, "name": "Other"}]}}
    ids = [p.to_article().id for _, p in export_posts(data) if not isinstance(p, str)]
    assert ids == ["telegram:1700000001:2", "telegram:1700000001:3", "telegram:1700000002:2",
                   "telegram:1700000002:3"]


def test_something_that_is_not_an_export_is_refused():
    with pytest.raises(ValueError, match="not a Telegram Desktop export"):
        list(export_posts({"posts": []}))


async def test_single_post_then_its_edit_is_the_same_report_with_the_edited_text(app_client, recorder):
    client = await app_client()
    post = {"channel": "@nightsky", "message_id": 77, "date": "2026-10-08T02:10:00Z",
            "text": "Air defence is working over the northern suburbs, stay in shelters."}
    first = await client.post("/v1/telegram/posts", json=post)
    assert first.status_code == 202 and first.json()["id"] == "telegram:nightsky:77"
    again = await client.post("/v1/telegram/posts", json=post)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"

    edit = {**post, "edited": "2026-10-08T02:40:00Z",
            "text": ["Air defence downed ", {"type": "bold", "text": "four"}, " drones over the northern suburbs."]}
    edited = await client.post("/v1/telegram/posts", json=edit)
    assert edited.status_code == 202 and edited.json()["id"] == "telegram:nightsky:77"
    versions = recorder.by_id("telegram:nightsky:77")
    assert [v.text for v in versions] == [post["text"], "Air defence downed four drones over the northern suburbs."]
    assert all(v.origin == "telegram" and v.source == "telegram" and v.channel == "nightsky" for v in versions)
    assert versions[-1].url == "https://t.me/nightsky/77"


@pytest.mark.parametrize("post, fragment", [
    ({"channel": "nightsky", "message_id": 1, "text": "   "}, "the post has no text"),
    ({"channel": "night sky", "message_id": 1, "text": "x"}, "channel"),
    ({"channel": "nightsky", "message_id": 0, "text": "x"}, "message_id"),
    ({"channel": "nightsky", "text": "x"}, "message_id: Field required"),
])
async def test_bad_posts_get_422_naming_the_problem(app_client, recorder, post, fragment):
    client = await app_client()
    resp = await client.post("/v1/telegram/posts", json=post)
    assert resp.status_code == 422 and fragment in resp.json()["error"], resp.text
    assert recorder.sent == []


async def test_batch_of_posts_reports_each_item(app_client):
    client = await app_client()
    posts = [p.model_dump(mode="json") if not isinstance(p, str) else {"channel": "nightsky", "message_id": mid}
             for mid, p in export_posts(EXPORT, channel="nightsky")]
    resp = await client.post("/v1/telegram/posts/batch", json={"posts": posts})
    body = resp.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (2, 0, 1)
    assert body["results"][2]["error"].startswith("text")


async def test_an_older_edit_arriving_late_does_not_roll_the_report_back(app_client, recorder):
    client = await app_client()
    original = {"channel": "nightsky", "message_id": 90, "date": "2026-10-08T02:10:00Z",
                "text": "Explosions heard in the northern suburbs, details to follow."}
    edited = {**original, "edited": "2026-10-08T02:40:00Z",
              "text": "Explosions in the northern suburbs: two drones downed, a garage damaged."}
    assert (await client.post("/v1/telegram/posts", json=edited)).status_code == 202
    late = await client.post("/v1/telegram/posts", json=original)  # a retried delivery of the first text
    assert late.status_code == 200 and late.json() == {"id": "telegram:nightsky:90", "status": "duplicate"}
    assert [v.text for v in recorder.by_id("telegram:nightsky:90")] == [edited["text"]]

    later = {**original, "edited": "2026-10-08T03:05:00Z", "text": "Correction: three drones downed."}
    assert (await client.post("/v1/telegram/posts", json=later)).status_code == 202
    assert recorder.by_id("telegram:nightsky:90")[-1].text == "Correction: three drones downed."
