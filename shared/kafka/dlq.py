"""Dead letters: what a consumer of a dead-letter topic receives (`DeadLetter`), the headers the
runner puts on one, and the limit that stops a service instead of dead-lettering everything
(`DlqLimit`: too many in a row, or too many within a time window even when mixed with good
records, the way arroyo's DlqLimit guards a bad deploy)."""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeadLetter:
    """What a consumer of a dead-letter topic receives: the original record and why it failed."""

    key: str | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def reason(self) -> str:
        return self.headers.get("dlq.reason", "unknown")

    @property
    def source(self) -> str:
        h = self.headers
        return f"{h.get('dlq.source.topic')}[{h.get('dlq.source.partition')}]@{h.get('dlq.source.offset')}"


def dlq_headers(record: Any, reason: str, service: str) -> list[tuple[str, bytes]]:
    """The record's own headers (minus earlier dlq.* ones) plus why and where it failed."""
    return [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq.")] + [
        ("dlq.reason", reason[:2000].encode()),
        ("dlq.service", service.encode()),
        ("dlq.source.topic", record.topic.encode()),
        ("dlq.source.partition", str(record.partition).encode()),
        ("dlq.source.offset", str(record.offset).encode()),
    ]


class DlqLimit:
    """Counts dead letters; `record()` says which limit a new one exceeds, if any."""

    def __init__(self, max_consecutive: int, max_per_window: int, window_s: float) -> None:
        self.max_consecutive, self.max_per_window, self.window_s = max_consecutive, max_per_window, window_s
        self.consecutive = 0
        self._recent: deque[float] = deque()  # monotonic times of the dead letters in the window

    def ok(self) -> None:
        """A record was processed: the run of consecutive dead letters is broken."""
        self.consecutive = 0

    def record(self) -> str | None:
        now = time.monotonic()
        self.consecutive += 1
        self._recent.append(now)
        while self._recent and self._recent[0] < now - self.window_s:
            self._recent.popleft()
        if self.consecutive > self.max_consecutive:
            return f"{self.consecutive} consecutive dead letters"
        if len(self._recent) > self.max_per_window:
            return f"{len(self._recent)} dead letters within {self.window_s:g}s"
        return None
