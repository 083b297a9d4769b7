"""Who may call the HTTP services: API keys (bearer tokens) from configuration, scopes, and a
per-key rate limit. Both HTTP services use it: ingestion guards its POST routes with scope
`ingest` and its admin routes (`/v1/admin/feeds`, `/v1/admin/channels`: what the service will
poll) with scope `admin`, the gateway its reads with scope `read`.

`API_KEYS` is a comma-separated list of `token=name[:scope+scope[:per_minute]]`; a key without
scopes has them all, a key without its own limit gets `RATE_LIMIT_PER_MINUTE`. A missing or
unknown token is 401, a key without the route's scope is 403, a key over its limit is 429 with
`Retry-After` (when the oldest of its counted requests leaves the window). Callers without a key
(where none is required) share one limit per client address. The limit is a moving window (at most
N requests in any 60 seconds) from the `limits` library, kept in process memory: each process
(each uvicorn worker, each replica) counts on its own.

Required keys without any key configured is a configuration error, raised when the settings are
built (the service does not start). The guard leaves the caller's key name on `request.state`;
`audit()` logs an administrative action with it. A token never appears in a log line or an answer:
API_KEYS is a secret (masked in the start-up line) and every message names the key, not the token."""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.config import BaseServiceSettings
from shared.http import ProblemError

SCOPES = frozenset({"read", "ingest", "admin"})
audit_log = logging.getLogger("dronewatch.audit")


class AccessSettings(BaseServiceSettings):
    """Access settings of the HTTP services (ingestion and gateway read the same variables)."""

    # A settings error must not print the raw input: it holds API_KEYS, tokens and all.
    model_config = SettingsConfigDict(hide_input_in_errors=True)
    api_keys: SecretStr | None = Field(
        default=None, description="`token=name[:scope+scope[:per_minute]],...`; scopes `ingest`, `admin`, `read` "
        "(secret; unset: no keys)")
    # Off by default so `make run` works as is. Both services hold both (the check below reads
    # both); each service acts on its own (`read_by`, for the settings table of docs/configuration.md).
    ingestion_require_key: bool = Field(
        default=False, description="POSTs need a key with scope `ingest`, `/v1/admin/feeds` and `/v1/admin/channels` "
        "one with scope `admin`", json_schema_extra={"read_by": ["ingestion"]})
    gateway_require_key_for_reads: bool = Field(default=False, description="`/v1` reads need a key with scope `read`",
                                                json_schema_extra={"read_by": ["gateway"]})
    rate_limit_per_minute: int = Field(default=0, description="requests per minute per key (and per client address "
                                       "without a key), per process; 0: no limit")
    cors_origins: str = Field(default="", description="allowed origins, comma-separated; `*` for any; empty: no CORS "
                              "headers")

    @model_validator(mode="after")
    def _keys_for_required_scopes(self) -> AccessSettings:
        """A malformed API_KEYS, or keys required with none configured, stops the service at start
        (instead of a service that refuses every request, or accepts a half-read key list)."""
        keys = parse_api_keys(self.api_keys.get_secret_value() if self.api_keys else None)
        required = [name for name, on in (("INGESTION_REQUIRE_KEY", self.ingestion_require_key),
                                          ("GATEWAY_REQUIRE_KEY_FOR_READS", self.gateway_require_key_for_reads)) if on]
        if required and not keys:
            raise ValueError(f"{' and '.join(required)} require API keys, but API_KEYS is empty: "
                             "set API_KEYS=token=name[:scopes],...")
        return self


@dataclass(frozen=True)
class ApiKey:
    name: str
    scopes: frozenset[str]
    per_minute: int | None = None


def parse_api_keys(raw: str | None) -> dict[str, ApiKey]:
    """`token=name[:scope+scope[:per_minute]],...` → {token: ApiKey}. Raises ValueError naming the
    bad entry (never echoing a token)."""
    keys: dict[str, ApiKey] = {}
    for n, entry in enumerate(p.strip() for p in (raw or "").split(",")):
        if not entry:
            continue
        token, sep, rest = entry.partition("=")
        parts = rest.split(":")
        if not sep or not token.strip() or not parts[0].strip() or len(parts) > 3:
            raise ValueError(f"API_KEYS entry {n + 1} is not token=name[:scopes[:per_minute]]")
        scopes = frozenset(s.strip() for s in parts[1].split("+") if s.strip()) if len(parts) > 1 else SCOPES
        if not scopes <= SCOPES:
            raise ValueError(f"API_KEYS entry {n + 1} ({parts[0]}) has unknown scopes {sorted(scopes - SCOPES)}")
        limit = parts[2].strip() if len(parts) > 2 else ""
        if limit and not limit.isdigit():
            raise ValueError(f"API_KEYS entry {n + 1} ({parts[0]}): per_minute must be a whole number")
        keys[token.strip()] = ApiKey(parts[0].strip(), scopes or SCOPES, int(limit) if limit else None)
    return keys


class RateLimiter:
    """At most `per_minute` requests per caller in any 60 seconds (limits' moving window; its
    in-memory storage is thread-safe, sync routes run in a thread pool, and forgets a caller once
    its window is empty)."""

    def __init__(self, storage: Any = None) -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._items: dict[int, RateLimitItem] = {}

    def take(self, caller: str, per_minute: int) -> float:
        """Count one request; returns 0 when allowed, else the seconds until one is allowed again."""
        if per_minute <= 0:
            return 0.0
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        if self._limiter.hit(item, caller):
            return 0.0
        return max(0.001, self._limiter.get_window_stats(item, caller).reset_time - time.time())


_bearer = HTTPBearer(auto_error=False, description="An API key from API_KEYS")


class AccessGuard:
    """A FastAPI dependency: checks the bearer token for `scope` and applies the rate limit.
    Returns the caller's key name (None for an anonymous caller). Async: it never blocks, so it
    runs on the event loop rather than in the thread pool."""

    def __init__(self, settings: AccessSettings, scope: str, *, required: bool,
                 limiter: RateLimiter | None = None) -> None:
        secret = settings.api_keys.get_secret_value() if settings.api_keys else None
        self.keys = parse_api_keys(secret)
        self.scope, self.required = scope, required
        self.per_minute = settings.rate_limit_per_minute
        self.limiter = limiter or RateLimiter()

    async def __call__(self, request: Request,
                       credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str | None:  # noqa: B008
        request.state.api_key = None
        if credentials is None:
            if self.required or request.headers.get("authorization"):
                raise ProblemError(401, "a bearer token (an API key) is required: Authorization: Bearer <key>",
                                   headers={"WWW-Authenticate": "Bearer"})
            client = request.client.host if request.client else "unknown"
            self._limit(f"anonymous:{client}", self.per_minute)
            return None
        key = self.keys.get(credentials.credentials)
        if key is None:
            raise ProblemError(401, "the bearer token is not a known API key",
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if self.scope not in key.scopes:
            raise ProblemError(403, f"API key {key.name!r} lacks the scope {self.scope!r}")
        self._limit(f"key:{key.name}", self.per_minute if key.per_minute is None else key.per_minute)
        request.state.api_key = key.name
        return key.name

    def _limit(self, caller: str, per_minute: int) -> None:
        wait = self.limiter.take(caller, per_minute)
        if wait > 0:
            raise ProblemError(429, f"rate limit of {per_minute} requests per minute exceeded; retry later",
                               headers={"Retry-After": str(max(1, math.ceil(wait)))})


def access_guard(settings: object, scope: str, *, limiter: RateLimiter | None = None) -> AccessGuard | None:
    """The guard for `scope` ('ingest', 'admin' or 'read') from a service's settings, or None when
    the settings carry no access configuration (a service whose settings do not extend AccessSettings).
    Ingestion's scopes follow INGESTION_REQUIRE_KEY, `read` GATEWAY_REQUIRE_KEY_FOR_READS."""
    if not isinstance(settings, AccessSettings):
        return None
    required = settings.gateway_require_key_for_reads if scope == "read" else settings.ingestion_require_key
    return AccessGuard(settings, scope, required=required, limiter=limiter)


def guard_dependencies(guard: AccessGuard | None) -> list[Any]:
    """`dependencies=` for a route or router: the guard, or nothing."""
    return [Depends(guard)] if guard is not None else []


def audit(request: Request, action: str, **details: object) -> None:
    """Log an administrative action (a feed or channel added, changed, removed, polled) with the
    name of the key that did it ("anonymous" where no key is required and none was sent) and the
    client's address. Never the token."""
    who = getattr(request.state, "api_key", None) or "anonymous"
    client = request.client.host if request.client else "unknown"
    audit_log.info(f"admin: {action}", extra={"action": action, "key": who, "client": client, **details})
