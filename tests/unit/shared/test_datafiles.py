"""The shared data-file readers: a malformed YAML, JSON or TSV file is refused whole, with the file,
the line and what is wrong; and a service stops at start on one (exit code 2, one log line)."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from shared.datafiles import DataFileError, load_yaml, load_yaml_doc, read_tsv
from shared.service import stop_on_bad_data


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    path = write(tmp_path, "words.yaml", "en:\n  hit:\n    - struck\n    - [unclosed\nru: {}\n")
    with pytest.raises(DataFileError) as err:
        load_yaml(path)
    assert err.value.path == path and err.value.line == 5 and str(err.value).startswith(f"{path}:5: ")


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path):
    path = write(tmp_path, "words.yaml", "en:\n  hit: [a]\n  miss: [b]\n  hit: [c]\n")
    with pytest.raises(DataFileError, match=r":4: key 'hit' given twice in one mapping \(first on line 2\)"):
        load_yaml(path)


def test_a_check_names_the_line_of_the_node_it_rejects(tmp_path):
    path = write(tmp_path, "list.json", '{"feeds": [\n  {"url": "a"},\n  {"url": 5}\n]}\n')

    def urls_are_text(doc):
        for i, feed in enumerate(doc.data["feeds"]):
            if not isinstance(feed["url"], str):
                raise doc.error(("feeds", i, "url"), "must be text")

    with pytest.raises(DataFileError, match=r"list\.json:3: feeds\.1\.url: must be text"):
        load_yaml_doc(path, check=urls_are_text)
    assert load_yaml(write(tmp_path, "ok.json", '{"feeds": [{"url": "a"}]}')) == {"feeds": [{"url": "a"}]}


TABLE = "# a comment\nname\tlat\tlon\nKursk\t51.7\t36.2\nVillage\t\t\n"


def test_a_tsv_table_reads_as_rows_of_text(tmp_path):
    rows = read_tsv(write(tmp_path, "t.tsv", TABLE), required=("name",), numeric=("lat", "lon"))
    assert rows == [{"name": "Kursk", "lat": "51.7", "lon": "36.2"}, {"name": "Village", "lat": "", "lon": ""}]


@pytest.mark.parametrize("text, line, problem", [
    (TABLE + "Oryol\t52.9\n", 5, "2 fields where the header has 3"),
    (TABLE + "Oryol\t52.9\t36.0\textra\n", 5, "4 fields where the header has 3"),
    (TABLE + "\t52.9\t36.0\n", 5, "column 'name' is empty"),
    (TABLE + "Oryol\tfifty\t36.0\n", 5, "column 'lat' is not a number: 'fifty'"),
    ("name\tlat\nKursk\t1\n", 1, "the header lacks the column(s) lon"),
    ("name\tlat\tlat\n", 1, "the header names lat twice"),
])
def test_a_malformed_tsv_row_or_header_names_its_line(tmp_path, text, line, problem):
    with pytest.raises(DataFileError) as err:
        read_tsv(write(tmp_path, "t.tsv", text), required=("name",), numeric=("lat", "lon"))
    assert err.value.line == line and problem in err.value.problem


def test_a_service_stops_at_start_with_one_line_naming_file_and_line(tmp_path, caplog):
    path = write(tmp_path, "bad.yaml", "a: [\n")
    with caplog.at_level(logging.CRITICAL), pytest.raises(SystemExit) as stopped, stop_on_bad_data():
        load_yaml(path)
    assert stopped.value.code == 2
    [record] = caplog.records
    assert record.getMessage().startswith(f"cannot start: {path}:2: ") and record.line == 2
