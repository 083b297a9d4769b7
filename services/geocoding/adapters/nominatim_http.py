"""HTTP client for a Nominatim-compatible `/search` endpoint (the PlaceSearch port).

It owns everything about talking to the service: a bounded timeout per request, retries on
timeouts, connection errors, 429 and 5xx with the shared exponential backoff (tenacity; a 4xx is
final), a client-side rate limit (aiolimiter: requests at least 1/rate_per_s apart), and an LRU
cache of answers (cachetools), "nothing found" included, so a place named in many reports is asked
for once. Failures raise `SearchFailed`; the caller decides what to fall back to.

The port is synchronous (geocoding resolves a batch in a worker thread), the libraries are asyncio:
the client runs an event loop of its own in a daemon thread, and `search` hands each look-up to it
and waits. All look-ups of a process meet in that one loop, so the rate limit and the cache hold
across the worker threads without a lock.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from cachetools import LRUCache
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt

from services.geocoding.ports import SearchFailed
from shared.backoff import Backoff

MAX_BACKOFF_S = 30.0
Params = tuple[tuple[str, str], ...]


class _Retryable(Exception):
    """A failure worth another attempt: timeout, connection error, 429, 5xx."""


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
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout_s),
                                       headers={"User-Agent": user_agent, "Accept": "application/json"})
        self.retries = max(0, retries)
        self.backoff = Backoff(backoff_s, MAX_BACKOFF_S)
        self._limiter = AsyncLimiter(1, 1.0 / rate_per_s) if rate_per_s > 0 else None
        self._cache: LRUCache[Params, list[dict[str, Any]]] | None = LRUCache(cache_size) if cache_size > 0 else None
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="nominatim-client", daemon=True).start()
        self.requests = 0  # HTTP requests actually sent (for tests and metrics)
        self.cache_hits = 0

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._http.aclose(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)

    def search(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """Blocks the calling thread until the answer (or SearchFailed); never call it on the
        client's own loop."""
        return asyncio.run_coroutine_threadsafe(self._search(params), self._loop).result()

    async def _search(self, params: dict[str, str]) -> list[dict[str, Any]]:
        key = tuple(sorted(params.items()))
        if self._cache is not None and key in self._cache:
            self.cache_hits += 1
            return list(self._cache[key])
        result = await self._fetch({**params, "format": "jsonv2", "addressdetails": "1"})
        if self._cache is not None:
            self._cache[key] = result
        return list(result)

    async def _fetch(self, params: dict[str, str]) -> list[dict[str, Any]]:
        attempts = AsyncRetrying(retry=retry_if_exception_type(_Retryable), stop=stop_after_attempt(self.retries + 1),
                                 wait=self.backoff.wait())

        async def attempt() -> list[dict[str, Any]]:
            return await self._get(params)

        try:
            return await attempts(attempt)
        except RetryError as err:
            raise SearchFailed(f"{err.last_attempt.exception()} after {self.retries + 1} attempts") from None

    async def _get(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """One request, in its turn under the rate limit."""
        if self._limiter is not None:
            await self._limiter.acquire()
        self.requests += 1
        try:
            resp = await self._http.get("/search", params=params)
        except httpx.TimeoutException:
            raise _Retryable("timeout") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection error ({type(exc).__name__})") from None
        if resp.status_code == 429 or resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise SearchFailed(f"HTTP {resp.status_code}")
        try:
            data = resp.json()
        except ValueError as exc:
            raise SearchFailed("answer is not JSON") from exc
        if not isinstance(data, list):
            raise SearchFailed("answer is not a result list")
        return [d for d in data if isinstance(d, dict)]
