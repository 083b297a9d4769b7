"""What the OpenAPI documents of both HTTP services say about errors, in one place: every error
answer is an RFC 9457 problem document (`application/problem+json`, the `Problem` schema below),
as `shared.http`'s handlers serve it.

`document_problems(app)` (called by `shared.http.install_error_handlers`) rewrites the app's
generated document once: each 4xx/5xx answer that a route documents without a body model of its own
(FastAPI's 422 `HTTPValidationError`, or just a description) becomes a problem; a route behind the
access guard (`shared.auth`, seen as its bearer security requirement) also documents 401, 403 and
429; a route that takes a body documents 400 (a body FastAPI cannot parse) and 413
(`BodyLimit`). Routes name the other statuses they
answer in their definitions (`problem_responses(404, 409)` or `responses={404: {...}}`)."""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "type": "object", "required": ["type", "title", "status", "detail"],
    "description": "RFC 9457 problem details; `error` repeats `detail` for clients of the first version.",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "error": {"type": "string"},
        "errors": {"type": "array", "description": "each wrong parameter or field", "items": {
            "type": "object", "required": ["in", "name", "detail"], "properties": {
                "in": {"type": "string"}, "name": {"type": "string"}, "detail": {"type": "string"}}}}}}
GUARD_STATUSES = (401, 403, 429)  # no or an unknown key, a key without the scope, over the rate limit
BODY_STATUSES = (400, 413)  # a body that cannot be parsed (not UTF-8 JSON), the body-size limit
_FASTAPI_VALIDATION = "#/components/schemas/HTTPValidationError"


def title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for a route that may answer these problem statuses."""
    return {s: {"description": title(s), "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}} for s in statuses}


def document_problems(app: FastAPI) -> None:
    """Make `app.openapi()` document every error answer as a problem (see the module's text)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _rewrite(generate())  # FastAPI keeps the document it made in app.openapi_schema
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _rewrite(doc: dict[str, Any]) -> None:
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            _document_operation(operation)
    if _FASTAPI_VALIDATION not in str(doc["paths"]):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)


def _document_operation(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    implied = [*(GUARD_STATUSES if operation.get("security") else ()),
               *(BODY_STATUSES if "requestBody" in operation else ())]
    for status in implied:
        responses.setdefault(str(status), {"description": title(status)})
    for status, response in responses.items():
        if status[0] in "45" and _without_own_model(response):
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}


def _without_own_model(response: dict[str, Any]) -> bool:
    content = response.get("content")
    if not content:
        return True
    schemas = [media.get("schema", {}) for media in content.values()]
    return all(s.get("$ref") in (_FASTAPI_VALIDATION, PROBLEM_REF["$ref"]) or not s for s in schemas)

# /readyz's 503 is the one error answer that is not a problem: load balancers and `dronewatch wait`
# read its `status`, which in a problem would be the HTTP status.
NOT_READY: dict[int | str, dict[str, Any]] = {503: {"description": "Not ready (the reason in `error`)", "content": {
    "application/json": {"schema": {"title": "NotReady", "type": "object", "required": ["status"], "properties": {
        "status": {"type": "string", "enum": ["unavailable"]}, "error": {"type": "string"}}}}}}}
