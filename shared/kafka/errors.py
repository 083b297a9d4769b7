"""The three kinds of failure the runner tells apart, each handled in exactly one place."""
from __future__ import annotations


class RejectMessage(Exception):
    """The message can never be processed (poison): dead-letter it with this reason, commit, go on."""


class TransientError(Exception):
    """A fault that may pass (database down, broker unreachable): retry with backoff, and if it
    does not pass, stop without committing."""


class DlqLimitExceeded(RuntimeError):
    """Too many consecutive dead letters: likely a bad deploy, so stop rather than dead-letter
    everything."""
