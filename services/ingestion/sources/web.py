"""Fetch a web page and extract the article's text and metadata (trafilatura): for feed items
that carry only a link or a teaser, and for posts that give a `url` but no `text`."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from services.ingestion.sources.netguard import PrivateAddressError

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Less than this is a menu or a caption, not a report.
MIN_TEXT_CHARS = 40


class PageError(Exception):
    """The page could not be fetched or yielded no article text; the message says why."""


@dataclass(frozen=True)
class Page:
    url: str
    text: str
    title: str | None
    author: str | None
    published_at: datetime | None
    site: str | None
    fetched_at: datetime


async def fetch_html(client: httpx.AsyncClient, url: str, *, max_bytes: int) -> tuple[str, str | bytes]:
    """GET `url` and return (final url, html). Refuses non-HTML content and bodies over
    `max_bytes` without reading them whole. Without a charset in the headers the raw bytes are
    returned, and trafilatura reads the encoding from the page (`<meta charset>`, detection)."""
    if not url.lower().startswith(("http://", "https://")):
        raise PageError(f"url must be http(s): {url!r}")
    try:
        async with client.stream("GET", url, follow_redirects=True) as resp:
            if resp.status_code >= 400:
                raise PageError(f"fetching {url} answered HTTP {resp.status_code}")
            ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype and ctype not in HTML_TYPES:
                raise PageError(f"{url} is {ctype}, not an HTML page")
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise PageError(f"{url} is larger than {max_bytes} bytes")
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise PageError(f"{url} is larger than {max_bytes} bytes")
            if resp.charset_encoding:
                return str(resp.url), bytes(body).decode(resp.charset_encoding, errors="replace")
            return str(resp.url), bytes(body)
    except PrivateAddressError as err:
        raise PageError(str(err)) from err
    except httpx.TimeoutException as err:
        raise PageError(f"fetching {url} timed out") from err
    except httpx.HTTPError as err:
        raise PageError(f"fetching {url} failed: {err.__class__.__name__}: {err}") from err


def extract(html: str | bytes, url: str) -> Page:
    """Main text and metadata of an HTML page; PageError when there is no article text."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, favor_precision=True)
    data = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
    text = (data.get("text") or "").strip()
    if len(text) < MIN_TEXT_CHARS:
        raise PageError(f"no article text found at {url} ({len(text)} characters of text)")
    return Page(url=url, text=text, title=data.get("title") or None, author=data.get("author") or None,
                published_at=_date(data.get("date")), site=data.get("sitename") or None,
                fetched_at=datetime.now(UTC))


async def fetch_page(client: httpx.AsyncClient, url: str, *, max_bytes: int) -> Page:
    final_url, html = await fetch_html(client, url, max_bytes=max_bytes)
    # Extraction is CPU work (lxml, date heuristics): keep the event loop free.
    return await asyncio.to_thread(extract, html, final_url)


def _date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
