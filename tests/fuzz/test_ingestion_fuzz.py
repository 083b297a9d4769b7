"""Property-based fuzzing of the ingestion API: whatever a caller sends, the answer is never a 5xx;
every refusal is a JSON 4xx whose `error` says what is wrong (naming the field where there is one);
an accepted report is kept and published exactly as sent; nothing comes back as HTML.

Runs in-process (see conftest.py) in well under a minute; `max_examples` sets the budget."""
from __future__ import annotations

import json

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingestion.schemas import ArticleIn
from tests.fuzz.conftest import BATCH_ITEMS, BODY_LIMIT_BYTES, Api

FIELDS = sorted(ArticleIn.model_fields)  # every field the API accepts, including ones added later
STRING_FIELDS = [name for name in FIELDS if name not in ("published_at",)]
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])

INJECTIONS = [
    "'; DROP TABLE outbox; --",
    "Robert'); DROP TABLE articles;--",
    "\" OR \"1\"=\"1",
    "1' UNION SELECT id, message, 1, 1, 1 FROM outbox --",
    "x'||(SELECT sqlite_version())||'",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(document.cookie)>",
    "\"><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}${7*7}<%= 7*7 %>",
    "../../../../etc/passwd",
    "%00%27%22%3Cscript%3E",
]
JSON_TYPES = ("application/json", "application/problem+json")

json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                | st.text(max_size=40))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
nasty_text = st.sampled_from(INJECTIONS) | st.text(min_size=1, max_size=200)
field_values = json_values | nasty_text
# A report: any subset of the real fields with any JSON in each, sometimes an unknown field too.
reports = st.fixed_dictionaries({}, optional={name: field_values for name in FIELDS}) | st.dictionaries(
    st.sampled_from([*FIELDS, *INJECTIONS]), field_values, max_size=6)
content_types = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                 "text/html", "application/x-www-form-urlencoded", "multipart/form-data",
                                 "application/octet-stream", "application/xml", ""])


def check(resp: httpx.Response, *, path: str = "/v1/articles") -> dict:
    """What every answer must satisfy; returns the JSON body."""
    assert resp.status_code < 500, f"{path}: {resp.status_code} {resp.text[:500]}"
    content_type = resp.headers.get("content-type", "")
    assert content_type.split(";")[0] in JSON_TYPES, f"{path}: answered {content_type!r}"
    body = resp.json()
    if resp.status_code >= 400:
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"].strip(), body
    return body


def check_kept(api: Api, sent: dict, article_id: str) -> None:
    """An accepted report is in the outbox and published, text unchanged (nothing escaped or stripped)."""
    published = api.publisher.sent[article_id]
    assert published.payload.text == sent["text"]
    stored = json.loads(api.stored(article_id) or "{}")
    assert stored["payload"]["text"] == sent["text"]


def check_answer_to_report(api: Api, resp: httpx.Response, sent: object) -> None:
    body = check(resp)
    if resp.status_code == 202:
        assert body["status"] == "accepted"
        check_kept(api, sent, body["id"])  # type: ignore[arg-type]
    elif resp.status_code == 200:
        assert body["status"] == "duplicate" and body["id"] in api.publisher.sent
    elif resp.status_code == 422:
        assert ":" in body["error"], body  # "<field>: <what is wrong>"
    else:
        assert resp.status_code in (400, 413), resp.text


@FUZZ
@given(report=reports)
def test_any_json_in_any_field_gets_an_answer_that_is_not_a_server_error(api, report):
    check_answer_to_report(api, api.request("POST", "/v1/articles", json=report), report)


@FUZZ
@given(items=st.lists(reports, min_size=1, max_size=BATCH_ITEMS))
def test_any_batch_gets_one_result_per_item(api, items):
    resp = api.request("POST", "/v1/articles/batch", json={"articles": items})
    body = check(resp, path="/v1/articles/batch")
    assert resp.status_code == 200, body
    assert [r["index"] for r in body["results"]] == list(range(len(items)))
    for item, result in zip(items, body["results"], strict=True):
        if result["status"] == "accepted":
            check_kept(api, item, result["id"])
        elif result["status"] == "rejected":
            assert ":" in result["error"], result
    assert body["accepted"] + body["duplicate"] + body["rejected"] == len(items)


@FUZZ
@given(field=st.sampled_from(STRING_FIELDS), injection=st.sampled_from(INJECTIONS), text=st.text(min_size=5),
       param=st.sampled_from(INJECTIONS))
def test_injection_strings_in_fields_and_query_are_kept_as_data_and_never_served_as_html(
        api, field, injection, text, param):
    report = {"text": f"{text} {injection}", field: injection}
    resp = api.request("POST", "/v1/articles", json=report, params={"id": param, param: param, "q": injection})
    check_answer_to_report(api, resp, report)
    if field == "text" and resp.status_code == 202:
        assert api.publisher.sent[resp.json()["id"]].payload.text == injection  # stored as sent, nothing run
    for method, path in (("GET", f"/v1/articles?id={param}"), ("GET", f"/{injection}"),
                         ("POST", f"/v1/articles/{injection}")):
        other = api.request(method, path)
        check(other, path=path)
        assert other.status_code in (404, 405, 422), other.text


@FUZZ
@given(body=st.binary(max_size=2000), content_type=content_types)
def test_random_bytes_with_any_content_type_are_refused_with_4xx(api, body, content_type):
    headers = {"content-type": content_type} if content_type else {}
    for path in ("/v1/articles", "/v1/articles/batch"):
        resp = api.request("POST", path, content=body, headers=headers)
        check(resp, path=path)
        assert 400 <= resp.status_code < 500 or resp.status_code in (200, 202), resp.text


@FUZZ
@given(prefix=st.text(max_size=20), bad=st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80",
                                                          b"\xe2\x82", b"\x80"]))
def test_invalid_utf8_inside_a_json_string_is_refused_naming_the_field(api, prefix, bad):
    body = b'{"text": "' + json.dumps(prefix)[1:-1].encode() + bad + b'"}'
    resp = api.request("POST", "/v1/articles", content=body, headers={"content-type": "application/json"})
    assert resp.status_code in (400, 422), resp.text
    assert check(resp)["error"].startswith(("text:", "There was an error parsing the body"))


@pytest.mark.parametrize("field", STRING_FIELDS)
@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\udc80x\\ud83d"])
def test_lone_surrogates_are_refused_naming_the_field(api, field, escape):
    """JSON can spell UTF-16 halves that no UTF-8 text holds; the broker and the store could not carry them."""
    body = {"text": "Drones over Kursk.", field: "PLACEHOLDER"}
    raw = json.dumps(body).replace("PLACEHOLDER", f"a{escape}b").encode()
    resp = api.request("POST", "/v1/articles", content=raw, headers={"content-type": "application/json"})
    assert resp.status_code == 422 and field in check(resp)["error"]


@pytest.mark.parametrize("field", [f for f in STRING_FIELDS if f != "id"])
def test_nul_characters_are_refused_naming_the_field(api, field):
    resp = api.request("POST", "/v1/articles", json={"text": "Drones over Bryansk again.", field: "a\x00b"})
    assert resp.status_code == 422 and field in check(resp)["error"]


@pytest.mark.parametrize("path", ["/v1/articles", "/v1/articles/batch"])
@pytest.mark.parametrize("opener, closer", [(b"[", b"]"), (b'{"a":', b"}")])
def test_json_nested_ten_thousand_levels_deep_is_a_4xx_not_a_crash(api, path, opener, closer):
    depth = 10_000
    for body in (opener * depth + closer * depth,
                 b'{"text": "x", "title": ' + opener * depth + closer * depth + b"}",
                 b'{"articles": [{"text": "x", "title": ' + opener * depth + closer * depth + b"}]}"):
        resp = api.request("POST", path, content=body, headers={"content-type": "application/json"})
        check(resp, path=path)
        assert resp.status_code in (400, 422), resp.text
    assert api.request("GET", "/healthz").status_code == 200  # and the app still answers


def test_a_body_over_the_limit_is_a_413_naming_the_limit(api):
    resp = api.request("POST", "/v1/articles", json={"text": "x" * (BODY_LIMIT_BYTES + 1)})
    assert resp.status_code == 413 and str(BODY_LIMIT_BYTES) in check(resp)["error"]


def test_a_streamed_body_without_a_length_is_cut_at_the_limit(api):
    async def chunks():
        yield b'{"text": "'
        for _ in range(BODY_LIMIT_BYTES // 100_000 + 2):
            yield b"y" * 100_000
        yield b'"}'

    resp = api.request("POST", "/v1/articles", content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413 and str(BODY_LIMIT_BYTES) in check(resp)["error"]


def test_a_text_over_its_length_limit_is_a_422_naming_the_text(api):
    limit = ArticleIn.model_fields["text"].metadata
    max_chars = next(m.max_length for m in limit if getattr(m, "max_length", None))
    resp = api.request("POST", "/v1/articles", json={"text": "z" * (max_chars + 1)})
    assert resp.status_code == 422 and check(resp)["error"].startswith("text:")


LENGTH_LIMITS = {name: limit for name, info in ArticleIn.model_fields.items() if name != "text"
                 for limit in [next((m.max_length for m in info.metadata if getattr(m, "max_length", None)), None)]
                 if limit is not None}


@pytest.mark.parametrize("field, limit", sorted(LENGTH_LIMITS.items()))
def test_every_field_over_its_length_limit_is_refused_naming_it(api, field, limit):
    resp = api.request("POST", "/v1/articles", json={"text": "Drones over Oryol.", field: "a" * (limit + 1)})
    assert resp.status_code == 422 and field in check(resp)["error"]


def test_a_batch_over_the_item_limit_is_a_413_naming_the_limit(api):
    items = [{"text": f"Report {i} about drones."} for i in range(BATCH_ITEMS + 1)]
    resp = api.request("POST", "/v1/articles/batch", json={"articles": items})
    assert resp.status_code == 413 and str(BATCH_ITEMS) in check(resp)["error"]


# --- schemathesis: the OpenAPI document's own idea of valid and invalid requests -----------------

@pytest.fixture
def openapi_schema(tmp_path, no_network):
    own = Api(tmp_path)  # schemathesis runs the app's lifespan itself
    yield schemathesis.openapi.from_asgi("/openapi.json", own.app)
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()
    own.outbox.close()


# schemathesis' pytest plugin does not run on pytest 9, so its strategies are driven by hand.
@pytest.mark.parametrize("path", ["/v1/articles", "/v1/articles/batch"])
def test_openapi_operations_never_fail_on_generated_requests(openapi_schema, path):
    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=openapi_schema[path]["POST"].as_strategy())
    def run(case):
        resp = case.call()
        assert resp.status_code < 500, resp.text
        assert resp.headers.get("content-type", [""])[0].split(";")[0] in JSON_TYPES
        if resp.status_code >= 400:
            assert resp.json()["error"]

    run()
