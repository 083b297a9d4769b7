"""Wires extraction's handler to the extractor and the runner."""
from __future__ import annotations

from functools import partial

from services.extraction.handlers import handle_article_received, handle_articles_received
from services.extraction.ports import ArticleExtractor, RegionNames
from services.extraction.settings import ExtractionSettings
from shared.kafka.runner import Runner, Subscription
from shared.topics import ARTICLES_RECEIVED


def build_runner(settings: ExtractionSettings, *, extractor: ArticleExtractor,
                 region_names: RegionNames | None = None) -> Runner:
    sub = Subscription(ARTICLES_RECEIVED, partial(handle_article_received, extractor=extractor,
                                                  region_names=region_names),
                       batch_handler=partial(handle_articles_received, extractor=extractor,
                                             region_names=region_names))
    return Runner(settings, "extraction", [sub])
