"""A malformed lexicon stops extraction at start with the file, the line and what is wrong: a YAML
error, a key given twice, a word-list entry that is not a regular expression, a missing language."""
from __future__ import annotations

import shutil

import pytest

from services.extraction.nlp.engine import resources
from shared.datafiles import DataFileError


@pytest.fixture
def lexicons(tmp_path, monkeypatch):
    folder = tmp_path / "lexicons"
    shutil.copytree(resources.LEXICON_DIR, folder)
    monkeypatch.setattr(resources, "LEXICON_DIR", folder)
    return folder


def edit(path, old: str, new: str) -> int:
    """Replace the first `old` line with `new` lines; the line number of the change."""
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line == old)
    lines[at:at + 1] = new.split("\n")
    path.write_text("\n".join(lines), encoding="utf-8")
    return at + 1


@pytest.mark.parametrize("old, new, problem", [
    ("    - shot\\s+down", "    - shot\\s+(down", "is not a valid regular expression"),
    ("    - shot\\s+down", "    - shot\\s+down\n   - misindented", "expected <block end>"),
    ("  interception:", "  impact: []\n  interception:", "key 'impact' given twice"),
])
def test_a_malformed_trigger_lexicon_names_its_line(lexicons, old, new, problem):
    line = edit(lexicons / "triggers.yaml", old, new)
    with pytest.raises(DataFileError) as err:
        resources.load_resources()
    assert err.value.path == lexicons / "triggers.yaml" and problem in err.value.problem
    # the line of the change (a YAML error shows on the line after it; a key given twice names both)
    assert err.value.line in (line, line + 1) or f"first on line {line})" in err.value.problem


def test_a_lexicon_without_a_language_section_is_refused(lexicons):
    path = lexicons / "weapons.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\nuk:\n", "\nukr:\n"), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"weapons\.yaml:\d+: the 'uk' section \(a mapping\) is missing"):
        resources.load_resources()
