"""Near-duplicate reports (reposts, light rewrites) by MinHash over word shingles, looked up in a
MinHash LSH index (datasketch). Exact duplicates are the outbox's business (content hash); a near
duplicate is still accepted and processed, only linked to the report it repeats.

The index lives in memory, one per ingestion process, and is rebuilt at start from the outbox's
recent reports (bounded by age and count)."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """Overlapping runs of `size` words, case-folded, punctuation ignored."""
    words = _WORD.findall(text.casefold())
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)}


class NearDuplicateIndex:
    def __init__(self, *, threshold: float = 0.7, num_perm: int = 128, min_shingles: int = 5,
                 max_size: int = 20_000) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        # Very short texts ("Air raid alert.") share most shingles with unrelated short texts.
        self.min_shingles = min_shingles
        # The oldest report leaves the index when it is full (insertion order), so memory stays bounded.
        self.max_size = max_size
        # Bands tuned for recall (few missed near-duplicates); every candidate is then checked
        # against the threshold with its MinHash estimate, which removes the extra false positives.
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=(0.1, 0.9))
        # Only the signatures (num_perm uint64) are kept: a full MinHash also carries its permutations.
        self._hashes: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        # The hash permutations are drawn once (datasketch draws them anew per MinHash: most of its cost).
        self._seed = MinHash(num_perm=num_perm)
        # find() then add() of the same text share one signature.
        self._last: tuple[str, MinHash | None] | None = None

    def __len__(self) -> int:
        return len(self._hashes)

    def signature(self, text: str) -> MinHash | None:
        last = self._last
        if last is not None and last[0] == text:
            return last[1]
        grams = shingles(text)
        m = None
        if len(grams) >= self.min_shingles:
            m = MinHash(num_perm=self.num_perm, permutations=self._seed.permutations, scheme=self._seed.scheme)
            m.update_batch(list(grams))
        self._last = (text, m)
        return m

    def find(self, text: str, *, exclude: str | None = None) -> str | None:
        """The id of the indexed report most similar to `text` above the threshold, if any."""
        m = self.signature(text)
        if m is None:
            return None
        with self._lock:
            candidates = [k for k in self._lsh.query(m) if k != exclude]
            scored = [(float(np.count_nonzero(self._hashes[k] == m.hashvalues)) / self.num_perm, k)
                      for k in candidates]
        scored = [(s, k) for s, k in scored if s >= self.threshold]
        return max(scored)[1] if scored else None

    def add(self, article_id: str, text: str) -> None:
        m = self.signature(text)
        if m is None:
            return
        with self._lock:
            if article_id in self._hashes:
                self._lsh.remove(article_id)
                del self._hashes[article_id]
            self._lsh.insert(article_id, LeanMinHash(m))
            self._hashes[article_id] = m.hashvalues.copy()
            while len(self._hashes) > self.max_size:
                oldest = next(iter(self._hashes))
                self._lsh.remove(oldest)
                del self._hashes[oldest]

    def rebuild(self, reports: Iterable[tuple[str, str]]) -> int:
        """Index (id, text) pairs; returns how many went in."""
        n = 0
        for article_id, text in reports:
            self.add(article_id, text)
            n += 1
        return n
