"""Reading one page of a public Telegram channel's web preview (`t.me/s/<channel>`, older pages
with `?before=<post id>`), which needs no account. Parsed with lxml's HTML parser, which takes the
page as a browser would; the elements are found by the preview's class names:

* each post is a `.tgme_widget_message` whose `data-post` is `<channel>/<id>`;
* its text is the bubble's own `.tgme_widget_message_text` (not the one quoted in a reply), with
  `<br>` as line breaks;
* `.tgme_widget_message_date time[datetime]` is when it was posted; `.tgme_widget_message_edited`
  (or "edited" in `.tgme_widget_message_meta`) marks an edited post;
* `.tgme_widget_message_forwarded_from_name` names the channel a forwarded post came from (its
  link's first path part, else its text); `.tgme_widget_message_from_author` is the signature;
* `.service_message` marks a service post (pinned, photo changed); a post without text is media;
* `.tme_messages_more[data-before]` links the next older page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from lxml import html as lxml_html
from lxml.etree import ParserError
from lxml.html import HtmlElement

PostKind = Literal["text", "media", "service"]


@dataclass(frozen=True)
class PreviewPost:
    channel: str  # as the post's data-post gives it
    id: int
    kind: PostKind
    text: str = ""
    date: datetime | None = None
    edited: bool = False
    author: str | None = None
    forwarded_from: str | None = None


@dataclass(frozen=True)
class PreviewPage:
    title: str | None
    posts: list[PreviewPost]  # in the page's order (oldest first)
    before: int | None  # the `before` of the next older page, None at the channel's start

    @property
    def ids(self) -> list[int]:
        return [p.id for p in self.posts]


class NotAPreview(ValueError):
    """The page is not a channel's preview (no history element): a private or unknown channel, or
    a page of something else."""


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _first(node: HtmlElement, xpath: str) -> HtmlElement | None:
    found = node.xpath(xpath)
    return found[0] if found else None


def parse_preview(page: str | bytes) -> PreviewPage:
    """The posts of one preview page. Raises NotAPreview when the page has no channel history."""
    try:
        root = lxml_html.fromstring(page)
    except (ParserError, ValueError) as err:
        raise NotAPreview(f"not an HTML page: {err}") from err
    if not root.xpath(f"//*[{_has_class('tgme_channel_history')}]"):
        raise NotAPreview("no channel history on the page (a private or unknown channel?)")
    title_node = _first(root, f"//*[{_has_class('tgme_channel_info_header_title')}]")
    posts = [p for node in root.xpath(f"//*[{_has_class('tgme_widget_message')}][@data-post]")
             if (p := _post(node)) is not None]
    more = _first(root, f"//*[{_has_class('tme_messages_more')}][@data-before]")
    before = _int(more.get("data-before")) if more is not None else None
    title = _clean(title_node.text_content()) if title_node is not None else None
    return PreviewPage(title=title or None, posts=posts, before=before)


def _post(node: HtmlElement) -> PreviewPost | None:
    channel, _, number = (node.get("data-post") or "").rpartition("/")
    post_id = _int(number)
    if not channel or post_id is None:
        return None
    date_node = _first(node, f".//*[{_has_class('tgme_widget_message_date')}]//time[@datetime]")
    date = _when(date_node.get("datetime")) if date_node is not None else None
    if node.xpath(f".//*[{_has_class('service_message')}]") or "service_message" in (node.get("class") or ""):
        return PreviewPost(channel=channel, id=post_id, kind="service", date=date)
    bubble = _first(node, f".//*[{_has_class('tgme_widget_message_bubble')}]")
    own_text = f"*[{_has_class('tgme_widget_message_text')}]"  # not the text quoted in a reply
    text_node = _first(node if bubble is None else bubble,
                       f"./{own_text} | ./*[{_has_class('media_supported_cont')}]/{own_text}")
    text = text_of(text_node) if text_node is not None else ""
    meta = _first(node, f".//*[{_has_class('tgme_widget_message_meta')}]")
    edited = bool(node.xpath(f".//*[{_has_class('tgme_widget_message_edited')}]")) or (
        meta is not None and "edited" in meta.text_content().lower())
    author_node = _first(node, f".//*[{_has_class('tgme_widget_message_from_author')}]")
    return PreviewPost(channel=channel, id=post_id, kind="text" if text.strip() else "media", text=text,
                       date=date, edited=edited, author=_clean(author_node.text_content()) if author_node is not None
                       else None, forwarded_from=_forwarded_from(node))


def _forwarded_from(node: HtmlElement) -> str | None:
    name = _first(node, f".//*[{_has_class('tgme_widget_message_forwarded_from_name')}]")
    if name is None:
        return None
    href = name.get("href") or ""
    parts = [p for p in urlsplit(href).path.split("/") if p]
    if parts and parts[0] == "s":
        parts = parts[1:]
    return parts[0] if parts else (_clean(name.text_content()) or None)


def text_of(node: HtmlElement) -> str:
    """The element's text with `<br>` as line breaks and blocks on lines of their own."""
    for br in node.iter("br"):
        br.tail = "\n" + (br.tail or "")
    lines = (" ".join(line.split()) for line in node.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _clean(value: str) -> str:
    return " ".join(value.split())


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
