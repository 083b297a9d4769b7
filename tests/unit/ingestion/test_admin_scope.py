"""The feeds admin API needs scope `admin`: a key that may post reports may not add feeds the
service will poll. A key without scopes still has them all."""
from __future__ import annotations

import pytest

KEYS = "t-ingest=poster:ingest,t-admin=ops:admin,t-all=root,t-read=analyst:read"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ADMIN_CALLS = [("GET", "/v1/admin/feeds", None), ("POST", "/v1/admin/feeds", {"url": "https://example.invalid/a.xml"}),
               ("GET", "/v1/admin/feeds/feed-x", None), ("PATCH", "/v1/admin/feeds/feed-x", {"enabled": False}),
               ("DELETE", "/v1/admin/feeds/feed-x", None), ("POST", "/v1/admin/feeds/feed-x/poll", None)]


@pytest.mark.parametrize("token", ["t-ingest", "t-read"])
@pytest.mark.parametrize("method, path, body", ADMIN_CALLS)
async def test_a_key_without_admin_scope_is_403_on_every_admin_route(app_client, token, method, path, body):
    client = await app_client(api_keys=KEYS, ingestion_require_key=True)
    resp = await client.request(method, path, json=body, headers=bearer(token))
    assert resp.status_code == 403 and "lacks the scope 'admin'" in resp.json()["detail"], resp.text


@pytest.mark.parametrize("token", ["t-admin", "t-all"])
async def test_an_admin_key_or_one_without_scopes_manages_feeds(app_client, token):
    client = await app_client(api_keys=KEYS, ingestion_require_key=True)
    added = await client.post("/v1/admin/feeds", json={"url": "https://example.invalid/a.xml"}, headers=bearer(token))
    assert added.status_code == 201, added.text
    fid = added.json()["id"]
    assert [f["id"] for f in (await client.get("/v1/admin/feeds", headers=bearer(token))).json()] == [fid]
    changed = await client.patch(f"/v1/admin/feeds/{fid}", json={"enabled": False}, headers=bearer(token))
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert (await client.delete(f"/v1/admin/feeds/{fid}", headers=bearer(token))).status_code == 204


async def test_the_admin_scope_alone_does_not_post_reports(app_client, recorder):
    client = await app_client(api_keys=KEYS, ingestion_require_key=True)
    report = {"text": "Air defence shot down two drones over the river port overnight."}
    assert (await client.post("/v1/articles", json=report, headers=bearer("t-admin"))).status_code == 403
    assert (await client.post("/v1/articles", json=report, headers=bearer("t-ingest"))).status_code == 202
    assert len(recorder.sent) == 1
