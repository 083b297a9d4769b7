"""Bulk import: reports from a JSONL or CSV file, or posts from a Telegram Desktop export, sent
in chunks to a running ingestion service's batch endpoints, with a progress bar and a summary of
what was accepted, duplicated and rejected (and why, by line or message id).

CSV files have a header row with ArticleIn's field names (id, text, title, url, source,
published_at, language, channel, author); empty cells count as absent."""
from __future__ import annotations

import csv
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

log = logging.getLogger(__name__)
Item = tuple[str, dict[str, Any] | str]  # (where: "line 7" / "message 12", the item or why it cannot be one)


class ImportFailed(Exception):
    """The service could not be reached or refused a whole chunk in a way that will not get better."""


@dataclass
class Summary:
    accepted: int = 0
    duplicate: int = 0
    near_duplicate: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + self.duplicate + len(self.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicate": self.duplicate, "near_duplicate": self.near_duplicate,
                "rejected": len(self.rejected), "rejections": [{"at": a, "error": e} for a, e in self.rejected]}

    def render(self) -> str:
        lines = [f"accepted: {self.accepted} (of which near-duplicates of earlier reports: {self.near_duplicate})",
                 f"duplicate: {self.duplicate}", f"rejected: {len(self.rejected)}"]
        lines += [f"  {where}: {error}" for where, error in self.rejected]
        return "\n".join(lines)


def read_report_file(path: Path) -> Iterator[Item]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        yield from _jsonl(path)
    elif suffix in (".csv", ".tsv"):
        yield from _csv(path, "\t" if suffix == ".tsv" else ",")
    else:
        raise ValueError(f"{path}: unknown format {suffix!r} (expected .jsonl or .csv)")


def _jsonl(path: Path) -> Iterator[Item]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                yield f"line {n}", f"invalid JSON: {err.msg} at column {err.colno}"
                continue
            yield f"line {n}", row if isinstance(row, dict) else f"expected a JSON object, got {type(row).__name__}"


def _csv(path: Path, delimiter: str) -> Iterator[Item]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        if not reader.fieldnames or "text" not in reader.fieldnames and "url" not in reader.fieldnames:
            raise ValueError(f"{path}: the header row must name the fields (at least text or url)")
        for row in reader:
            where = f"line {reader.line_num}"
            if None in row:
                yield where, f"more cells than header fields ({len(reader.fieldnames)})"
                continue
            yield where, {k: v for k, v in row.items() if v not in (None, "")}


def count_items(path: Path) -> int | None:
    """Rows in the file, for the progress bar (CSV: lines minus the header; multi-line cells make
    it an estimate)."""
    try:
        with path.open("rb") as fh:
            n = sum(1 for line in fh if line.strip())
    except OSError:
        return None
    return max(n - 1, 0) if path.suffix.lower() in (".csv", ".tsv") else n


class Progress:
    """tqdm on a terminal; plain progress lines every few seconds otherwise (logs, CI)."""

    def __init__(self, total: int | None, *, stream: TextIO | None = None, every_s: float = 5.0) -> None:
        from tqdm import tqdm

        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.bar = tqdm(total=total, file=self.stream, unit="report", disable=not self.tty)
        self.total, self.done, self.every_s, self.last = total, 0, every_s, time.monotonic()

    def update(self, n: int, summary: Summary) -> None:
        self.done += n
        self.bar.update(n)
        self.bar.set_postfix(accepted=summary.accepted, duplicate=summary.duplicate,
                             rejected=len(summary.rejected), refresh=False)
        if not self.tty and time.monotonic() - self.last >= self.every_s:
            self.last = time.monotonic()
            self.line(summary)

    def line(self, summary: Summary) -> None:
        of = f"/{self.total}" if self.total is not None else ""
        print(f"imported {self.done}{of}: accepted {summary.accepted}, duplicate {summary.duplicate}, "
              f"rejected {len(summary.rejected)}", file=self.stream, flush=True)

    def close(self, summary: Summary) -> None:
        self.bar.close()
        if not self.tty:
            self.line(summary)


def send_items(items: Iterable[Item], *, post: Callable[[list[dict[str, Any]]], dict[str, Any]],
               chunk: int, progress: Progress | None = None) -> Summary:
    """Send the items in chunks through `post` (one batch request); collect the outcome per item."""
    summary = Summary()
    batch: list[tuple[str, dict[str, Any]]] = []

    def flush() -> None:
        if not batch:
            return
        answer = post([item for _, item in batch])
        for result in answer["results"]:
            where = batch[result["index"]][0]
            if result["status"] == "rejected":
                summary.rejected.append((where, result.get("error") or "rejected"))
            elif result["status"] == "duplicate":
                summary.duplicate += 1
            else:
                summary.accepted += 1
                summary.near_duplicate += bool(result.get("near_duplicate_of"))
        if progress:
            progress.update(len(batch), summary)
        batch.clear()

    for where, item in items:
        if isinstance(item, str):
            summary.rejected.append((where, item))
            if progress:
                progress.update(1, summary)
            continue
        batch.append((where, item))
        if len(batch) >= chunk:
            flush()
    flush()
    return summary


def batch_poster(client: httpx.Client, path: str, key: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    def post(items: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            resp = client.post(path, json={key: items})
        except httpx.HTTPError as err:
            raise ImportFailed(f"cannot reach the ingestion service at {client.base_url}: {err}") from err
        if resp.status_code != 200:
            try:
                body = resp.json()
                reason = body.get("detail") or body.get("error")
            except ValueError:
                reason = resp.text[:200]
            raise ImportFailed(f"{path} answered {resp.status_code}: {reason}")
        return resp.json()
    return post


def run_import(items: Iterable[Item], *, url: str, path: str, key: str, chunk: int, total: int | None,
               timeout_s: float = 120.0, token: str | None = None) -> Summary:
    progress = Progress(total)
    summary = Summary()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(base_url=url, timeout=timeout_s, headers=headers) as client:
            summary = send_items(items, post=batch_poster(client, path, key), chunk=chunk, progress=progress)
    finally:
        progress.close(summary)
    return summary
