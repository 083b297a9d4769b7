"""Reading a channel's web preview page: posts, edits, media, service posts, forwards, replies,
signatures and the link to older posts, from pages in the preview's HTML structure."""
from __future__ import annotations

import pytest

from services.ingestion.sources.preview import NotAPreview, parse_preview
from tests.telegram_preview import T0, PreviewChannel


def channel() -> PreviewChannel:
    ch = PreviewChannel("smolensk_gov", "Governor of Smolensk Oblast", page_size=10)
    ch.post(1, "Old news")
    ch.post(2, "Air defence destroyed one UAV.\nNo one was hurt.", author="Press office")
    ch.post(3, media=True)
    ch.post(4, service="Channel photo updated")
    ch.post(5, "Two drones were shot down over the Kursk region.", forwarded_from=("mod_russia", "Минобороны России"))
    ch.post(6, "A reply: the debris was removed.", reply_to=(2, "Air defence destroyed one UAV."))
    ch.post(7, "With a photo & a caption <b>", media=True)
    ch.edit(2, "Air defence destroyed two UAVs.\nNo one was hurt.")
    return ch


def test_a_preview_page_gives_each_post_with_its_text_kind_date_and_marks():
    page = parse_preview(channel().page(before=8))
    assert page.title == "Governor of Smolensk Oblast"
    assert page.ids == [1, 2, 3, 4, 5, 6, 7] and page.before is None  # the channel's first page
    by_id = {p.id: p for p in page.posts}
    assert by_id[2].kind == "text" and by_id[2].text == "Air defence destroyed two UAVs.\nNo one was hurt."
    assert by_id[2].edited and not by_id[1].edited
    assert by_id[2].author == "Press office" and by_id[2].channel == "smolensk_gov"
    assert by_id[2].date == T0.replace(minute=2)
    assert by_id[3].kind == "media" and by_id[3].text == ""
    assert by_id[4].kind == "service"
    assert by_id[5].forwarded_from == "mod_russia" and by_id[1].forwarded_from is None
    assert by_id[6].text == "A reply: the debris was removed."  # not the quoted post
    assert by_id[7].kind == "text" and by_id[7].text == "With a photo & a caption <b>"


def test_a_page_links_the_older_page_by_its_first_post():
    ch = channel()
    ch.page_size = 3
    page = parse_preview(ch.page())
    assert page.ids == [5, 6, 7] and page.before == 5
    assert parse_preview(ch.page(before=5)).ids == [2, 3, 4]


@pytest.mark.parametrize("body", ["<html><body><h1>Not found</h1></body></html>", "", "plain text"])
def test_a_page_that_is_not_a_preview_says_so(body):
    with pytest.raises(NotAPreview):
        parse_preview(body)
