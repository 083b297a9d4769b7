"""A public Telegram channel as its web preview shows it (`/s/<name>`, `?before=<id>`), written for
our tests in the preview's HTML structure (class names, `data-post`, `<time datetime>`, the
"edited" mark, forwarded-from links, service and media posts, the "more" link), served by the local
web server of `tests/unit/ingestion/local_web.py`. The test changes the channel (posts, edits,
deletions) and can make the next requests for a page answer 429 with a Retry-After, as Telegram does
when it wants us to slow down."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from tests.unit.ingestion.local_web import LocalWeb, Resource

T0 = datetime(2026, 10, 8, 3, 0, tzinfo=UTC)


@dataclass
class Post:
    id: int
    text: str = ""
    date: datetime = T0
    edited: bool = False
    media: bool = False  # a photo: media only when there is no text
    service: str | None = None  # "Channel photo updated"
    forwarded_from: tuple[str, str] | None = None  # (username, title)
    author: str | None = None
    reply_to: tuple[int, str] | None = None  # (post id, quoted text)


@dataclass
class PreviewChannel:
    name: str
    title: str
    page_size: int = 5
    posts: dict[int, Post] = field(default_factory=dict)
    # before-value ("" for the newest page) -> how many more requests for it answer 429
    floods: dict[str, int] = field(default_factory=dict)
    retry_after_s: int = 7
    base: str = ""  # where it is served (INGESTION_TELEGRAM_PREVIEW_URL)

    def post(self, post_id: int, text: str = "", **kw: object) -> Post:
        date = kw.pop("date", T0 + timedelta(minutes=post_id))
        self.posts[post_id] = Post(post_id, text, date=date, **kw)  # type: ignore[arg-type]
        return self.posts[post_id]

    def edit(self, post_id: int, text: str) -> None:
        self.posts[post_id].text, self.posts[post_id].edited = text, True

    def delete(self, post_id: int) -> None:
        del self.posts[post_id]

    def flood(self, before: int | None = None, times: int = 1) -> None:
        """The next `times` requests for this page answer 429 (Retry-After: retry_after_s)."""
        self.floods[str(before or "")] = times

    def serve(self, web: LocalWeb) -> str:
        """Serve the preview on `web`; returns the base address to configure (INGESTION_TELEGRAM_PREVIEW_URL)."""
        web.routes[f"/s/{self.name}"] = self.respond
        self.base = web.base
        return web.base

    def respond(self, path: str) -> Resource:
        before_raw = parse_qs(urlsplit(path).query).get("before", [""])[0]
        if self.floods.get(before_raw, 0) > 0:
            self.floods[before_raw] -= 1
            return Resource(b"Too Many Requests: retry after %d" % self.retry_after_s, status=429,
                            retry_after=str(self.retry_after_s))
        before = int(before_raw) if before_raw.isdigit() else None
        return Resource(self.page(before).encode())

    def page(self, before: int | None = None) -> str:
        ids = sorted(i for i in self.posts if before is None or i < before)[-self.page_size:]
        more = ""
        if ids and any(i < ids[0] for i in self.posts):
            more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{self.name}'
                    f'?before={ids[0]}" class="tme_messages_more js-messages_more" data-before="{ids[0]}"></a></div>')
        body = "\n".join(self._post(self.posts[i]) for i in ids)
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(self.title)} – Telegram'
                f'</title></head><body><header class="tgme_header"><div class="tgme_channel_info_header">'
                f'<div class="tgme_channel_info_header_title"><span dir="auto">{html.escape(self.title)}</span></div>'
                f'<div class="tgme_channel_info_header_username"><a href="https://t.me/{self.name}">@{self.name}'
                f'</a></div></div></header><main class="tgme_main"><section class="tgme_channel_history '
                f'js-message_history">{more}\n{body}\n</section></main></body></html>')

    def _post(self, p: Post) -> str:
        head = (f'<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message '
                f'{"service_message " if p.service else ""}text_not_supported_wrap js-widget_message" '
                f'data-post="{self.name}/{p.id}" data-view="eyJ4">')
        date = (f'<a class="tgme_widget_message_date" href="https://t.me/{self.name}/{p.id}"><time '
                f'datetime="{p.date.isoformat()}" class="time">{p.date:%H:%M}</time></a>')
        if p.service:
            return (f'{head}<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_text '
                    f'service_message_text">{html.escape(p.service)}</div>{date}</div></div></div>')
        parts = [f'<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
                 f'href="https://t.me/{self.name}"><span dir="auto">{html.escape(self.title)}</span></a></div>']
        if p.forwarded_from:
            user, title = p.forwarded_from
            parts.append(f'<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from <a '
                         f'class="tgme_widget_message_forwarded_from_name" href="https://t.me/{user}/{p.id + 1000}">'
                         f'<span dir="auto">{html.escape(title)}</span></a></div>')
        if p.reply_to:
            rid, quoted = p.reply_to
            parts.append(f'<a class="tgme_widget_message_reply" href="https://t.me/{self.name}/{rid}"><div '
                         f'class="tgme_widget_message_author accent_color"><span '
                         f'class="tgme_widget_message_author_name">{html.escape(self.title)}</span></div><div '
                         f'class="tgme_widget_message_text js-message_reply_text" dir="auto">{html.escape(quoted)}'
                         f'</div></a>')
        if p.media:
            parts.append('<a class="tgme_widget_message_photo_wrap" href="https://t.me/x/1" style="width:800px;'
                         'background-image:url(\'https://cdn.example.invalid/p.jpg\')"><div '
                         'class="tgme_widget_message_photo" style="padding-top:75%"></div></a>')
        if p.text:
            lines = "<br/>".join(html.escape(line) for line in p.text.split("\n"))
            parts.append(f'<div class="tgme_widget_message_text js-message_text" dir="auto">{lines}</div>')
        author = f'<span class="tgme_widget_message_from_author" dir="auto">{html.escape(p.author)}</span>' \
            if p.author else ""
        edited = '<span class="tgme_widget_message_edited">edited</span> ' if p.edited else ""
        parts.append(f'<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_'
                     f'message_info short js-message_info"><span class="tgme_widget_message_views">1.2K</span>{author}'
                     f'<span class="tgme_widget_message_meta">{edited}{date}</span></div></div>')
        return f'{head}<div class="tgme_widget_message_bubble">{"".join(parts)}</div></div></div>'
