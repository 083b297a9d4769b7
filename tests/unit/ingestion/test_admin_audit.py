"""Feed administration is logged with the name of the key that did it, and an API key's token
never shows up in a log line or an answer: not when it is right, wrong, of the wrong scope, nor in
the start-up line or a malformed API_KEYS."""
from __future__ import annotations

import logging

import pytest

from services.ingestion.settings import IngestionSettings
from shared.auth import audit_log

TOKENS = {"admin": "tok-admin-7f3a9c1e", "poster": "tok-poster-2b8d4e6f"}
KEYS = f"{TOKENS['admin']}=ops:admin,{TOKENS['poster']}=feeder:ingest"
STRANGER = "tok-stranger-9e1c5a7b"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_feed_changes_are_logged_with_the_key_name(app_client, caplog):
    client = await app_client(api_keys=KEYS, ingestion_require_key=True)
    with caplog.at_level(logging.INFO, logger=audit_log.name):
        added = await client.post("/v1/admin/feeds", json={"url": "https://example.invalid/a.xml"},
                                  headers=bearer(TOKENS["admin"]))
        fid = added.json()["id"]
        await client.patch(f"/v1/admin/feeds/{fid}", json={"enabled": False}, headers=bearer(TOKENS["admin"]))
        await client.delete(f"/v1/admin/feeds/{fid}", headers=bearer(TOKENS["admin"]))
        refused = await client.delete(f"/v1/admin/feeds/{fid}", headers=bearer(TOKENS["poster"]))
    assert refused.status_code == 403
    actions = [(r.action, r.key, r.feed) for r in caplog.records if r.name == audit_log.name]
    assert actions == [("feed added", "ops", fid), ("feed changed", "ops", fid), ("feed removed", "ops", fid)]
    assert caplog.records[0].url == "https://example.invalid/a.xml"


async def test_without_required_keys_an_admin_action_is_logged_as_anonymous(app_client, caplog):
    client = await app_client()
    with caplog.at_level(logging.INFO, logger=audit_log.name):
        await client.post("/v1/admin/feeds", json={"url": "https://example.invalid/b.xml"})
    [record] = [r for r in caplog.records if r.name == audit_log.name]
    assert (record.action, record.key) == ("feed added", "anonymous")


async def test_no_token_appears_in_any_answer_or_log_line(app_client, caplog):
    client = await app_client(api_keys=KEYS, ingestion_require_key=True)
    report = {"text": "Air defence shot down two drones over the river port overnight."}
    calls = [("POST", "/v1/articles", report, TOKENS["poster"]), ("POST", "/v1/articles", report, STRANGER),
             ("POST", "/v1/articles", report, TOKENS["admin"]), ("POST", "/v1/articles", report, None),
             ("GET", "/v1/admin/feeds", None, TOKENS["poster"]), ("GET", "/v1/admin/feeds", None, STRANGER),
             ("POST", "/v1/admin/feeds", {"url": "https://example.invalid/c.xml"}, TOKENS["admin"])]
    seen = []
    with caplog.at_level(logging.DEBUG):
        for method, path, body, token in calls:
            resp = await client.request(method, path, json=body, headers=bearer(token) if token else {})
            seen.append(f"{resp.status_code} {resp.headers} {resp.text}")
    assert [s.split()[0] for s in seen] == ["202", "401", "403", "401", "403", "401", "201"]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in (*TOKENS.values(), STRANGER):
        assert secret not in logged and not any(secret in s for s in seen), secret


def test_the_start_up_line_and_a_malformed_key_list_do_not_show_tokens():
    settings = IngestionSettings(_env_file=None, api_keys=KEYS, ingestion_require_key=True)
    assert not any(t in str(settings.masked()) for t in TOKENS.values())
    with pytest.raises(ValueError) as err:
        IngestionSettings(_env_file=None, api_keys=f"{TOKENS['admin']}=ops:admin:many")
    assert "per_minute" in str(err.value) and TOKENS["admin"] not in str(err.value)
