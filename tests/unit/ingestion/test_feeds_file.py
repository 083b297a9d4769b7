"""A malformed feeds file (INGESTION_FEEDS_FILE) stops ingestion at start with the file, the line
and what is wrong, before it serves anything; no feed of it is taken."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.ingestion.sources.feeds import load_feeds_file
from shared.datafiles import DataFileError

ROOT = Path(__file__).resolve().parents[3]
GOOD = "feeds:\n  - https://example.invalid/a.xml\n  - url: https://example.invalid/b.xml\n    language: ru\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_gives_every_feed(tmp_path):
    feeds = load_feeds_file(write(tmp_path, GOOD))
    assert [(f.url, f.language) for f in feeds] == [("https://example.invalid/a.xml", None),
                                                    ("https://example.invalid/b.xml", "ru")]


@pytest.mark.parametrize("text, line, problem", [
    (GOOD + "  - url: ftp://example.invalid/c.xml\n", 5, "feed 3: url: Value error, url must start with http"),
    (GOOD + "  - url: https://example.invalid/d.xml\n    langauge: uk\n", 6, "feed 3: langauge"),
    (GOOD + "  - url: https://example.invalid/e.xml\n   language: uk\n", 6, "expected <block end>"),
    ("feeds: https://example.invalid/a.xml\n", 1, "expected a list of feeds"),
])
def test_a_malformed_feeds_file_names_its_line(tmp_path, text, line, problem):
    with pytest.raises(DataFileError) as err:
        load_feeds_file(write(tmp_path, text))
    assert err.value.line == line and problem in err.value.problem, str(err.value)


def test_ingestion_stops_at_start_on_a_malformed_feeds_file(tmp_path):
    path = write(tmp_path, GOOD + "  - url: https://example.invalid/d.xml\n    interval_s: soon\n")
    env = {**os.environ, "INGESTION_FEEDS_FILE": str(path), "INGESTION_DB_URL": f"sqlite:///{tmp_path / 'in.db'}",
           "INGESTION_PORT": "0", "LOG_FORMAT": "text", "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-m", "services.ingestion"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"cannot start: {path}:6: feeds.2.interval_s: feed 3: interval_s" in done.stderr
    assert "Uvicorn running" not in done.stderr and not (tmp_path / "in.db").exists()
