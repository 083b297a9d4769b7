"""HTTP client for a Nominatim-compatible `/search` endpoint (the PlaceSearch port).

It owns everything about talking to the service: a bounded timeout per request, retries with
exponential backoff on timeouts, connection errors, 429 and 5xx (a 4xx is final), a client-side
rate limit (requests are spaced at least 1/rate_per_s apart, across threads), and an LRU cache of
answers, "nothing found" included, so a place named in many reports is asked for once. Failures
raise `SearchFailed`; the caller decides what to fall back to.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import httpx

from services.geocoding.ports import SearchFailed


class NominatimClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 3.0,
        retries: int = 2,
        rate_per_s: float = 1.0,
        user_agent: str = "dronewatch-geocoding/1.0",
        cache_size: int = 10_000,
        backoff_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout_s),
                                  headers={"User-Agent": user_agent, "Accept": "application/json"})
        self.retries = max(0, retries)
        self.interval = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        self.backoff_s = backoff_s
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, list[dict]] = OrderedDict()
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self.requests = 0  # HTTP requests actually sent (for tests and metrics)
        self.cache_hits = 0

    def close(self) -> None:
        self._http.close()

    def search(self, params: dict[str, str]) -> list[dict]:
        key = tuple(sorted(params.items()))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                return list(self._cache[key])
        result = self._fetch({**params, "format": "jsonv2", "addressdetails": "1"})
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return list(result)

    def _wait_turn(self) -> None:
        """Reserve the next request slot under the lock, then sleep outside it until the slot."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        if slot > now:
            self._sleep(slot - now)

    def _fetch(self, params: dict[str, str]) -> list[dict]:
        last = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff_s * 2 ** (attempt - 1))
            self._wait_turn()
            self.requests += 1
            try:
                resp = self._http.get("/search", params=params)
            except httpx.TimeoutException:
                last = "timeout"
                continue
            except httpx.TransportError as exc:
                last = f"connection error ({type(exc).__name__})"
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last = f"HTTP {resp.status_code}"
                continue
            if resp.status_code >= 400:
                raise SearchFailed(f"HTTP {resp.status_code}")
            try:
                data = resp.json()
            except ValueError as exc:
                raise SearchFailed("answer is not JSON") from exc
            if not isinstance(data, list):
                raise SearchFailed("answer is not a result list")
            return [d for d in data if isinstance(d, dict)]
        raise SearchFailed(f"{last} after {self.retries + 1} attempts")
