"""Shared fixtures for the extraction NLP tests: resources are loaded once per test session."""
from __future__ import annotations

import pytest

from services.extraction.nlp import Extractor, NlpResources, load_resources


@pytest.fixture(scope="session")
def resources() -> NlpResources:
    return load_resources()


@pytest.fixture(scope="session")
def extractor(resources: NlpResources) -> Extractor:
    return Extractor(resources)
