"""HTTP pieces both FastAPI services share: errors as RFC 9457 problem details
(`application/problem+json`) that name the offending parameter or field in plain words, and a
body-size limit that answers 413 before reading an oversized body.

Every problem has `type`, `title`, `status` and `detail`; parameter and field errors add
`errors: [{"in", "name", "detail"}]`. `error` repeats `detail` for clients of the first version."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shared.openapi import PROBLEM_MEDIA_TYPE as PROBLEM_MEDIA_TYPE  # re-exported: routes import these from here
from shared.openapi import document_problems, title
from shared.openapi import problem_responses as problem_responses

log = logging.getLogger(__name__)

INVALID_PARAMETERS = "urn:dronewatch:problem:invalid-parameters"


class ProblemError(Exception):
    """Raise from a route or dependency to answer with a problem document.

    `errors` are (location, name, detail) triples, e.g. ("query", "bbox", "must be four numbers")."""

    def __init__(self, status: int, detail: str, *, errors: Iterable[tuple[str, str, str]] = (),
                 headers: dict[str, str] | None = None, type_: str = "about:blank") -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers, self.type = status, detail, headers, type_
        self.errors = [{"in": where, "name": name, "detail": text} for where, name, text in errors]


class ParameterError(ProblemError):
    """One request parameter is wrong: 422 naming it."""

    def __init__(self, name: str, detail: str, *, where: str = "query") -> None:
        super().__init__(422, f"{name}: {detail}", errors=[(where, name, detail)], type_=INVALID_PARAMETERS)


def problem_response(status: int, detail: str, *, errors: list[dict[str, str]] | None = None,
                     headers: Mapping[str, str] | None = None, type_: str = "about:blank") -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title(status), "status": status, "detail": detail,
                            "error": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(status_code=status, content=body, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def describe_validation(errors: list[Any]) -> str:
    parts = []
    for e in errors[:10]:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header")]
        where = ".".join(loc) or "body"
        parts.append(f"{where}: {e.get('msg')}")
    return "; ".join(parts)


def _validation_errors(errors: list[Any]) -> list[dict[str, str]]:
    out = []
    for e in errors[:20]:
        loc = [str(p) for p in e.get("loc", ())]
        where = loc[0] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else "body"
        name = ".".join(loc[1:] if loc and loc[0] == where else loc) or where
        out.append({"in": where, "name": name, "detail": str(e.get("msg"))})
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Every error the app answers with becomes a problem document; an unexpected exception is
    logged with its traceback and answered with a bare 500 problem (no stack trace leaves). The
    app's OpenAPI document says so (`shared.openapi.document_problems`)."""
    document_problems(app)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        return problem_response(422, describe_validation(errors), errors=_validation_errors(errors),
                                type_=INVALID_PARAMETERS)

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.detail, errors=exc.errors, headers=exc.headers, type_=exc.type)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "internal error; it has been logged")


def install_cors(app: FastAPI, origins: str) -> None:
    """CORS for the comma-separated `origins` (`*`: any); nothing when empty."""
    allowed = [o.strip() for o in origins.split(",") if o.strip()]
    if allowed:
        app.add_middleware(CORSMiddleware, allow_origins=allowed, allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type"], expose_headers=["Retry-After"])


class BodyLimit:
    """ASGI middleware: refuse request bodies over `limit_for(path)` bytes with 413."""

    def __init__(self, app: Any, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, limit)
        seen, over, started = 0, False, False

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen, over
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise _TooLarge
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            # A framework may catch _TooLarge while reading the body and answer 400; the 413 replaces it.
            nonlocal started
            if over and not started:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            pass
        if over and not started:
            await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Callable[..., Any], limit: int) -> None:
    response = problem_response(413, f"request body is larger than the limit of {limit} bytes")
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}
