"""The SSRF guard: feeds and links are fetched from public addresses only, named by IP or by a
host name, directly or through a redirect, unless INGESTION_FETCH_ALLOW_PRIVATE is on.

Nothing here connects beyond loopback: the transport tests give the guard an inner backend that
connects only to the local web server, and the app tests use loopback addresses alone."""
from __future__ import annotations

import ipaddress
import logging

import httpcore
import httpx
import pytest

from services.ingestion.sources.netguard import (
    PrivateAddressError,
    PublicOnlyBackend,
    PublicOnlyTransport,
    literal_refusal,
    refusal,
    resolve,
)
from tests.unit.ingestion.test_feeds import LONG_BODY, rss

PUBLIC_STAND_IN = "1.2.3.4"  # what the test host name "resolves" to; the inner backend maps it to loopback

REFUSED = [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.0.0.5", "private"), ("172.16.3.4", "private"), ("192.168.1.1", "private"), ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.251", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("240.0.0.1", "reserved"), ("100.64.0.1", "non-public"),
    ("::ffff:10.0.0.5", "private"), ("::ffff:169.254.169.254", "link-local"), ("2002:7f00:1::", "loopback"),
    ("64:ff9b::a00:5", "private"),
]


@pytest.mark.parametrize("address, kind", REFUSED)
def test_non_public_addresses_are_refused_with_their_kind(address, kind):
    assert refusal(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert refusal(ipaddress.ip_address(address)) is None


class LoopbackOnly(httpcore.AsyncNetworkBackend):
    """Connects the public stand-in address to the local web server, refuses everything else, and
    records what it was asked to connect to."""

    def __init__(self, port: int) -> None:
        self.port, self.asked = port, []
        self.real = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.asked.append((host, port))
        if host != PUBLIC_STAND_IN:
            raise httpcore.ConnectError(f"the test backend connects {PUBLIC_STAND_IN} only, not {host}")
        return await self.real.connect_tcp("127.0.0.1", self.port, timeout=timeout)

    async def sleep(self, seconds):
        await self.real.sleep(seconds)


def guarded_client(web, names: dict[str, str]) -> tuple[httpx.AsyncClient, LoopbackOnly, list[str]]:
    """A client on the guard whose resolver knows `names` (and asks the system for the rest)."""
    inner, looked_up = LoopbackOnly(int(web.base.rsplit(":", 1)[1])), []

    async def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return [names[host]] if host in names else await resolve(host, port)

    transport = PublicOnlyTransport(PublicOnlyBackend(inner, resolver))
    return httpx.AsyncClient(transport=transport, timeout=5), inner, looked_up


@pytest.mark.parametrize("address, kind", REFUSED)
async def test_a_literal_non_public_address_is_refused_before_any_connection(web, address, kind):
    client, inner, _ = guarded_client(web, {})
    host = f"[{address}]" if ":" in address else address
    async with client:
        with pytest.raises(PrivateAddressError, match=f"is a {kind} address") as err:
            await client.get(f"http://{host}:8080/latest/meta-data/")
    assert inner.asked == [] and "INGESTION_FETCH_ALLOW_PRIVATE=true" in str(err.value)


async def test_a_name_resolving_to_loopback_is_refused(web):
    client, inner, _ = guarded_client(web, {})
    async with client:
        with pytest.raises(PrivateAddressError, match="localhost resolves to a loopback address"):
            await client.get("http://localhost:8080/")
    assert inner.asked == []


async def test_the_connection_goes_to_the_address_that_was_checked(web):
    """One resolution per connection, and the connection is by address: a name whose answer
    changes after the check (DNS rebinding) is never looked up again for the connect."""
    web.put("/page", "<html><body>hello</body></html>")
    client, inner, looked_up = guarded_client(web, {"news.test": PUBLIC_STAND_IN})
    async with client:
        resp = await client.get(f"http://news.test:{inner.port}/page")
    assert resp.status_code == 200 and "hello" in resp.text
    assert looked_up == ["news.test"] and inner.asked == [(PUBLIC_STAND_IN, inner.port)]
    assert web.headers_of("/page")[-1]["host"] == f"news.test:{inner.port}"


@pytest.mark.parametrize("target, fragment", [
    ("http://localhost:{port}/admin", "localhost resolves to a loopback address 127.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[fd00::7]:{port}/", "fd00::7 is a private address"),
])
async def test_a_redirect_to_a_non_public_address_is_refused(web, target, fragment):
    """The allowed server (a public-looking name mapped back to the local server) answers 302 to a
    private address: the second hop is refused, and only the first hop ever connected."""
    client, inner, _ = guarded_client(web, {"feeds.test": PUBLIC_STAND_IN})
    web.put("/moved", b"", status=302, location=target.format(port=inner.port))
    async with client:
        with pytest.raises(PrivateAddressError, match=fragment):
            await client.get(f"http://feeds.test:{inner.port}/moved", follow_redirects=True)
    assert inner.asked == [(PUBLIC_STAND_IN, inner.port)] and web.headers_of("/admin") == []


def test_only_literal_private_hosts_are_refused_without_resolving():
    assert "is a link-local address" in str(literal_refusal("http://169.254.169.254/latest"))
    assert "is a private address" in str(literal_refusal("https://[fd00::1]:8443/feed"))
    assert literal_refusal("http://93.184.216.34/feed") is None
    assert literal_refusal("http://localhost/feed") is None  # a name: checked when it is resolved


async def test_a_posted_link_to_a_private_host_is_a_problem_naming_url_and_why(app_client, web, recorder):
    url = web.put("/news", "<html><body><article><p>" + LONG_BODY + "</p></article></body></html>")
    client = await app_client(ingestion_fetch_allow_private=False)
    resp = await client.post("/v1/articles", json={"url": url.replace("127.0.0.1", "localhost")})
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert problem["detail"].startswith("url: localhost resolves to a loopback address 127.0.0.1")
    assert problem["detail"].endswith("set INGESTION_FETCH_ALLOW_PRIVATE=true to allow")
    assert [(e["in"], e["name"]) for e in problem["errors"]] == [("body", "url")]
    assert web.headers_of("/news") == [] and recorder.sent == []


async def test_in_a_batch_a_link_to_a_private_address_rejects_only_its_item(app_client, web, recorder):
    client = await app_client(ingestion_fetch_allow_private=False)
    resp = await client.post("/v1/articles/batch", json={"articles": [
        {"url": web.put("/a", "<html></html>")}, {"text": "Short own text about a drone over the valley."}]})
    body = resp.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert "127.0.0.1 is a loopback address" in body["results"][0]["error"] and web.requests == []


async def test_allow_private_turns_the_check_off(app_client, web, recorder):
    url = web.put("/news", "<html><body><article><p>" + LONG_BODY + "</p></article></body></html>")
    client = await app_client(ingestion_fetch_allow_private=True)
    resp = await client.post("/v1/articles", json={"url": url.replace("127.0.0.1", "localhost")})
    assert resp.status_code == 202, resp.text
    feed = await client.post("/v1/admin/feeds", json={"url": web.base + "/rss.xml"})
    assert feed.status_code == 201, feed.text


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "[fd00::1]", "0.0.0.0"])
async def test_adding_a_feed_at_a_literal_private_address_is_a_422(app_client, host):
    client = await app_client(ingestion_fetch_allow_private=False)
    resp = await client.post("/v1/admin/feeds", json={"url": f"http://{host}/rss.xml"})
    assert resp.status_code == 422 and "INGESTION_FETCH_ALLOW_PRIVATE" in resp.json()["detail"], resp.text
    assert resp.json()["errors"][0]["name"] == "url"
    assert (await client.get("/v1/admin/feeds")).json() == []


async def test_a_feed_whose_name_resolves_to_a_private_address_records_the_error(app_client, web, recorder, caplog):
    url = web.put("/rss.xml", rss([("a1", "Drones over the port", LONG_BODY)]), content_type="application/rss+xml")
    client = await app_client(ingestion_fetch_allow_private=False)
    feed = (await client.post("/v1/admin/feeds", json={"url": url.replace("127.0.0.1", "localhost")})).json()
    with caplog.at_level(logging.WARNING, logger="services.ingestion.sources.feeds"):
        result = (await client.post(f"/v1/admin/feeds/{feed['id']}/poll")).json()
    assert result["status"] == "error" and "resolves to a loopback address" in result["errors"][0]
    state = (await client.get(f"/v1/admin/feeds/{feed['id']}")).json()
    assert state["error_count"] == 1 and "INGESTION_FETCH_ALLOW_PRIVATE" in state["last_error"]
    assert any(r.message == "feed poll failed" for r in caplog.records)
    assert web.requests == [] and recorder.sent == []
