"""A report's source context (who speaks, for where) applied around the extractor, without changing
how it reads a text:

* the claimant: an event whose text names no claimant is claimed by the source's owner ("Governor
  Vasily Anokhin" for his channel); one that names a claimant keeps it;
* the region: a text that gives the extractor no event because it names no place ("Dear Smolensk
  residents, one UAV was destroyed") is read again after a line naming the source's region, as if
  the post were headed with it. The events that then fall to that line come out with no place
  (geocoding puts them in the region); everything else keeps its spans in the original text.
"""
from __future__ import annotations

from typing import Any

from services.extraction.ports import ArticleExtractor, RegionNames
from shared.messages import Article, ExtractionResult, SourceContext
from shared.messages.events import Span


def with_claimant(result: ExtractionResult, context: SourceContext | None) -> ExtractionResult:
    """`claimed_by` set to the source's owner on the events that have none. Pure."""
    if context is None or not context.owner or not any(e.claimed_by is None for e in result.events):
        return result
    events = [e if e.claimed_by is not None else e.model_copy(update={"claimed_by": context.owner})
              for e in result.events]
    return result.model_copy(update={"events": events})


def extract_in_context(extractor: ArticleExtractor, article: Article, text: str, language: str | None,
                       region_names: RegionNames | None) -> ExtractionResult:
    """The extractor's reading of `text`; when it finds no event and the report's source speaks for
    a region the extractor can name, the reading of the text headed by that region's name, mapped
    back onto `text`. Then the owner as claimant where the text names none."""
    context = article.source_context
    result = extractor.extract(article_id=article.id, text=text, title=article.title, language=language,
                               published_at=article.published_at, source=article.source)
    region = context.region if context is not None else None
    name = region_names(region, language) if region and region_names is not None and not result.events else None
    if name:
        head = f"{name}.\n\n"
        headed = extractor.extract(article_id=article.id, text=head + text, title=article.title,
                                   language=language, published_at=article.published_at, source=article.source)
        if headed.events:
            result = unhead(headed, len(head))
    return with_claimant(result, context)


def unhead(result: ExtractionResult, offset: int) -> ExtractionResult:
    """A result read from `head + text` as a result of `text`: the mentions inside the head are
    dropped (events placed there get no place, children lose that parent), every span moves back
    by `offset`, and evidence inside the head is dropped."""
    kept = [i for i, p in enumerate(result.places) if p.span[0] >= offset]
    index = {old: new for new, old in enumerate(kept)}
    places = []
    for i in kept:
        parent = result.places[i].parent
        places.append(result.places[i].model_copy(update={
            "span": _back(result.places[i].span, offset),
            "parent": index.get(parent) if parent is not None else None}))
    events = []
    for ev in result.events:
        update: dict[str, Any] = {
            "place": index.get(ev.place) if ev.place is not None else None,
            "evidence": [e.model_copy(update={"span": _back(e.span, offset)})
                         for e in ev.evidence if e.span[0] >= offset],
        }
        if ev.occurred is not None and ev.occurred.span is not None:
            inside = ev.occurred.span[0] >= offset
            update["occurred"] = ev.occurred.model_copy(update={
                "span": _back(ev.occurred.span, offset) if inside else None,
                "text": ev.occurred.text if inside else None})
        events.append(ev.model_copy(update=update))
    return result.model_copy(update={"places": places, "events": events})


def _back(span: Span, offset: int) -> Span:
    return (span[0] - offset, span[1] - offset)
