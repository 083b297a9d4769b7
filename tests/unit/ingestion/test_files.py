"""Bulk import from JSONL and CSV: every line is accepted, recognised as a duplicate or rejected
with its line number and reason; progress goes to stderr as a bar on a terminal and as plain lines
otherwise."""
from __future__ import annotations

import io
import json

import httpx
import pytest

from dronewatch.cli import main as cli
from services.ingestion.adapters.outbox import SqlOutbox
from services.ingestion.api import create_app
from services.ingestion.sources.files import Progress, batch_poster, read_report_file, send_items
from tests.unit.ingestion.local_web import serve_app

REPORTS = [
    {"id": "f-1", "text": "A drone was shot down above the cement plant on the northern bypass early today."},
    {"id": "f-2", "text": "Two missiles struck the freight yard; the rail operator suspended night trains."},
]


def write_jsonl(path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_jsonl_rows_carry_their_line_numbers_and_bad_lines_say_why(tmp_path):
    path = tmp_path / "in.jsonl"
    write_jsonl(path, [json.dumps(REPORTS[0]), "", "{not json", "[1, 2]", json.dumps(REPORTS[1])])
    rows = list(read_report_file(path))
    assert [w for w, _ in rows] == ["line 1", "line 3", "line 4", "line 5"]
    assert rows[1][1].startswith("invalid JSON") and rows[2][1] == "expected a JSON object, got list"
    assert rows[3][1] == REPORTS[1]


def test_csv_header_names_the_fields_and_empty_cells_are_absent(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,text,language,url\nc-1,"Drones over the dam, one downed.",en,\n'
                    'c-2,"Quoted, with a\nline break",,\nc-3,too,many,cells,here\n', encoding="utf-8")
    rows = list(read_report_file(path))
    assert rows[0] == ("line 2", {"id": "c-1", "text": "Drones over the dam, one downed.", "language": "en"})
    assert rows[1] == ("line 4", {"id": "c-2", "text": "Quoted, with a\nline break"})
    assert rows[2][0] == "line 5" and "more cells than header fields" in rows[2][1]


@pytest.mark.parametrize("name, content, fragment", [
    ("in.xml", "<a/>", "unknown format"),
    ("in.csv", "foo,bar\n1,2\n", "header row"),
])
def test_unreadable_files_are_refused(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValueError, match=fragment):
        list(read_report_file(path))


@pytest.fixture
def service(make_settings, recorder):
    settings = make_settings(ingestion_max_batch_items=3)
    outbox = SqlOutbox(settings.ingestion_db_url)
    with serve_app(create_app(settings, outbox=outbox, publisher=recorder)) as url:
        with httpx.Client(base_url=url) as client:
            yield client
    outbox.close()


def test_import_summary_counts_accepted_duplicate_and_rejected_by_line(service, recorder, tmp_path):
    path = tmp_path / "in.jsonl"
    write_jsonl(path, [json.dumps(REPORTS[0]), json.dumps(REPORTS[1]), json.dumps({"id": "f-3"}),
                       json.dumps({**REPORTS[0], "id": "f-4"}), "oops", json.dumps({"text": "x", "colour": "red"}),
                       json.dumps({"id": "f-5", "text": "Air raid alert lifted in the capital region."})])
    stream = io.StringIO()
    summary = send_items(read_report_file(path), post=batch_poster(service, "/v1/articles/batch?origin=file",
                                                                   "articles"),
                         chunk=3, progress=Progress(7, stream=stream, every_s=0))
    assert (summary.accepted, summary.duplicate) == (3, 1)
    assert [w for w, _ in summary.rejected] == ["line 3", "line 5", "line 6"]
    assert "text: Field required" in summary.rejected[0][1] and "colour" in summary.rejected[2][1]
    assert {m.payload.origin for m in recorder.sent} == {"file"}
    assert "rejected: 3\n  line 3: " in summary.render()
    lines = stream.getvalue().splitlines()  # not a terminal: plain progress lines, the last one complete
    assert lines and lines[-1].startswith("imported 7/7: accepted 3, duplicate 1, rejected 3")


def test_a_refused_chunk_stops_the_import_with_the_services_reason(service, tmp_path):
    from services.ingestion.sources.files import ImportFailed

    path = tmp_path / "in.jsonl"
    write_jsonl(path, [json.dumps({"text": f"Report number {i} about drones."}) for i in range(5)])
    with pytest.raises(ImportFailed, match="413: batch has 5 items; the limit is 3"):
        send_items(read_report_file(path), post=batch_poster(service, "/v1/articles/batch", "articles"), chunk=5)


def test_the_import_command_prints_the_summary_and_exits_1_when_lines_were_rejected(service, tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text("id,text\nk-1,Drone debris fell on a school yard overnight; classes moved online.\nk-2,\n",
                    encoding="utf-8")
    assert cli(["import", str(path), "--url", str(service.base_url), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["accepted"], out["rejected"]) == (1, 1) and out["rejections"][0]["at"] == "line 3"
    assert cli(["import", str(path), "--url", str(service.base_url)]) == 1
    assert "duplicate: 1" in capsys.readouterr().out


def test_telegram_import_command_sends_the_export(service, recorder, tmp_path, capsys):
    from tests.unit.ingestion.test_telegram import EXPORT

    path = tmp_path / "result.json"
    path.write_text(json.dumps(EXPORT), encoding="utf-8")
    assert cli(["telegram-import", str(path), "--channel", "nightsky", "--url", str(service.base_url)]) == 1
    out = capsys.readouterr().out
    assert "accepted: 2" in out and "message 4: no text (media only)" in out
    assert sorted(m.payload.id for m in recorder.sent) == ["telegram:nightsky:2", "telegram:nightsky:3"]


def test_an_unreachable_service_is_exit_2_with_the_reason(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    write_jsonl(path, [json.dumps(REPORTS[0])])
    assert cli(["import", str(path), "--url", "http://127.0.0.1:9"]) == 2
    assert "cannot reach the ingestion service" in capsys.readouterr().err


def test_the_import_command_sends_its_key_when_ingestion_requires_one(make_settings, recorder, tmp_path, capsys):
    settings = make_settings(api_keys="s3cret=importer:ingest", ingestion_require_key=True)
    outbox = SqlOutbox(settings.ingestion_db_url)
    path = tmp_path / "in.jsonl"
    write_jsonl(path, [json.dumps(REPORTS[0])])
    try:
        with serve_app(create_app(settings, outbox=outbox, publisher=recorder)) as url:
            assert cli(["import", str(path), "--url", url]) == 2
            assert "401" in capsys.readouterr().err
            assert cli(["import", str(path), "--url", url, "--token", "s3cret"]) == 0
    finally:
        outbox.close()
    assert [m.payload.id for m in recorder.sent] == ["f-1"]
