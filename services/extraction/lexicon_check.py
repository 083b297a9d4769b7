"""What a lexicon file (`nlp/lexicons/*.yaml`) must be, checked as it is loaded so that a malformed
one stops extraction at start with its file and line: a mapping with a section per pipeline
language, and every word-list entry and every key a valid regular expression (word lists are
regex fragments; `{N}` stands for a number phrase)."""
from __future__ import annotations

import re
from typing import Any, get_args

from shared.datafiles import Where, YamlDoc
from shared.messages.articles import Language

LANGS = get_args(Language)


def check_lexicon(doc: YamlDoc) -> None:
    """Raises DataFileError (through `doc.error`) at the first problem."""
    if not isinstance(doc.data, dict):
        raise doc.error((), "a lexicon is a mapping with a section per language (en, ru, uk)")
    for lang in LANGS:
        if not isinstance(doc.data.get(lang), dict):
            raise doc.error((lang,) if lang in doc.data else (), f"the '{lang}' section (a mapping) is missing")
    _patterns(doc, doc.data, ())


def _patterns(doc: YamlDoc, node: Any, where: Where) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str):
                _compiles(doc, key, (*where, key))
            _patterns(doc, value, (*where, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, str):
                _compiles(doc, item, (*where, i))
            else:
                _patterns(doc, item, (*where, i))


def _compiles(doc: YamlDoc, pattern: str, where: Where) -> None:
    try:
        re.compile(pattern.replace("{N}", "0"), re.IGNORECASE)
    except re.error as err:
        raise doc.error(where, f"{pattern!r} is not a valid regular expression: {err}") from None
