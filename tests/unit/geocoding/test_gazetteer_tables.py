"""Our gazetteer tables (gazetteer/data/*.tsv) are read whole and checked: a malformed one stops
the index build, and so the service at start, with the file, the line and what is wrong, and no
index is left behind, half-built or otherwise."""
from __future__ import annotations

import shutil

import pytest

from shared.config import GazetteerSettings
from shared.datafiles import DataFileError
from shared.places import sources
from shared.places.indexfile import ensure_index


@pytest.fixture
def tables(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    shutil.copytree(sources.DATA, folder)
    monkeypatch.setattr(sources, "DATA", folder)
    return folder


def break_row(path, how) -> int:
    """Rewrite the first data row (after the comments and the header) with `how`; its line number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    lines[header + 1] = how(lines[header + 1])
    path.write_text("\n".join(lines), encoding="utf-8")
    return header + 2


@pytest.mark.parametrize("name", sorted(sources.TABLES))
def test_a_row_with_a_missing_tab_names_the_table_and_its_line(tables, name):
    line = break_row(tables / name, lambda row: row.replace("\t", " ", 1))
    with pytest.raises(DataFileError) as err:
        sources.read_tsv(name)
    assert err.value.path == tables / name and err.value.line == line
    assert "fields where the header has" in err.value.problem


def test_a_coordinate_that_is_not_a_number_is_refused(tables):
    line = break_row(tables / "extra_places.tsv", lambda row: "\t".join(
        "north" if i == 3 else f for i, f in enumerate(row.split("\t"))))
    with pytest.raises(DataFileError, match=rf"extra_places\.tsv:{line}: column 'lat' is not a number: 'north'"):
        sources.read_tsv("extra_places.tsv")


def test_a_malformed_table_stops_the_index_build_and_leaves_no_index(tables, tmp_path):
    line = break_row(tables / "admin1.tsv", lambda row: "\t" + row.split("\t", 1)[1])  # no ISO code
    index = tmp_path / "gazetteer" / "index.pkl.gz"
    settings = GazetteerSettings(_env_file=None, gazetteer_index_path=index, gazetteer_use_settlement_package=False)
    with pytest.raises(DataFileError, match=rf"admin1\.tsv:{line}: column 'iso' is empty"):
        ensure_index(settings)
    assert not index.exists() and not list(index.parent.glob("*"))
