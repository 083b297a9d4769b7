"""Posts that give only a link: the page is fetched and its article text and metadata become the
report; a page that cannot give text is a 422 that says why."""
from __future__ import annotations

import pytest

ARTICLE = """<html><head><title>Substation fire after night raid | Valley Herald</title>
<meta name="author" content="Petra Lind">
<meta property="article:published_time" content="2026-10-09T03:15:00+00:00"></head>
<body><header><a href="/">Valley Herald</a> <a href="/sport">Sport</a></header>
<article><h1>Substation fire after night raid</h1>
<p>A drone struck an electrical substation on the eastern edge of the valley shortly after two in the
morning, the regional energy company said. Crews restored power to most homes by breakfast.</p>
<p>Two workers were treated for smoke inhalation at the scene and released, according to the company.</p>
</article><footer>Subscribe to our newsletter</footer></body></html>"""


async def test_post_with_only_a_url_takes_the_pages_article_text_and_metadata(app_client, web, recorder):
    url = web.put("/news/substation", ARTICLE)
    client = await app_client()
    resp = await client.post("/v1/articles", json={"url": url, "source": "Valley Herald"})
    assert resp.status_code == 202, resp.text
    [report] = recorder.by_id(resp.json()["id"])
    assert "Two workers were treated for smoke inhalation" in report.text
    assert "newsletter" not in report.text and "Sport" not in report.text
    assert report.title == "Substation fire after night raid" and report.author == "Petra Lind"
    assert report.published_at is not None and report.published_at.date().isoformat() == "2026-10-09"
    assert report.url == url and report.source == "Valley Herald" and report.fetched_at is not None


async def test_the_senders_own_fields_win_over_the_pages(app_client, web, recorder):
    url = web.put("/news/2", ARTICLE)
    client = await app_client()
    resp = await client.post("/v1/articles", json={"id": "vh-2", "url": url, "title": "Own title",
                                                   "published_at": "2026-10-10T00:00:00Z"})
    [report] = recorder.by_id("vh-2")
    assert resp.status_code == 202 and report.title == "Own title" and report.published_at.day == 10


@pytest.mark.parametrize("setup, fragment", [
    (lambda web: web.base + "/nowhere", "answered HTTP 404"),
    (lambda web: web.put("/data.pdf", b"%PDF-1.4 ...", content_type="application/pdf"), "not an HTML page"),
    (lambda web: web.put("/empty", "<html><body><nav>Home</nav></body></html>"), "no article text"),
    (lambda web: web.put("/huge", "<html><body><p>" + "word " * 3000 + "</p></body></html>"), "larger than"),
    (lambda web: "file:///etc/passwd", "must be http(s)"),
    (lambda web: "http://127.0.0.1:9/closed", "failed"),
])
async def test_a_link_that_gives_no_text_is_refused_with_the_reason(app_client, web, recorder, setup, fragment):
    client = await app_client(ingestion_fetch_max_bytes=10_000)
    resp = await client.post("/v1/articles", json={"url": setup(web)})
    assert resp.status_code == 422 and fragment in resp.json()["error"], resp.text
    assert resp.json()["error"].startswith("url: ")
    assert recorder.sent == []


async def test_neither_text_nor_url_is_a_422_naming_text(app_client):
    client = await app_client()
    resp = await client.post("/v1/articles", json={"title": "only a title"})
    assert resp.status_code == 422 and "text: Field required" in resp.json()["error"]


async def test_in_a_batch_an_unfetchable_link_rejects_only_its_item(app_client, web, recorder):
    client = await app_client()
    good = web.put("/good", ARTICLE)
    resp = await client.post("/v1/articles/batch", json={"articles": [
        {"url": good}, {"url": web.base + "/gone"}, {"text": "Short own text about a drone over the valley."}]})
    body = resp.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert body["results"][1]["status"] == "rejected" and "404" in body["results"][1]["error"]


async def test_a_page_without_charset_header_is_read_in_the_encoding_it_declares(app_client, web, recorder):
    text = "Ночью над городом сбили три беспилотника, обломки повредили крышу гаража на окраине."
    page = (f'<html><head><meta charset="windows-1251"><title>Ночь</title></head><body><article><p>{text}</p>'
            "</article></body></html>").encode("cp1251")
    client = await app_client()
    resp = await client.post("/v1/articles", json={"url": web.put("/ru", page, content_type="text/html")})
    assert resp.status_code == 202, resp.text
    [report] = recorder.by_id(resp.json()["id"])
    assert report.text == text and report.detected_language == "ru"
