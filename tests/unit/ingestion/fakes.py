"""A publisher that records what ingestion sends and can play a broker that is down."""
from __future__ import annotations


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list = []
        self.down = False

    async def publish_many(self, messages, timeout_s=None) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        self.sent.extend(messages)
