"""Fetches go to public addresses only (the SSRF guard for feeds and links that callers give us).

The check sits where httpx opens a TCP connection: a network backend for httpcore resolves the
host once, refuses the connection if any of its addresses is not public (loopback, RFC 1918,
ULA, link-local with the cloud metadata address, multicast, unspecified, reserved, shared or
documentation ranges, IPv6 forms that embed such an IPv4 address) and connects to the address it
checked, so a DNS answer that changes between check and connect (rebinding) cannot slip through.
Every connection passes it, so every redirect hop is checked too; TLS still verifies the
certificate for the host name (httpcore sends the name as SNI, httpx the Host header)."""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
ALLOW_SETTING = "INGESTION_FETCH_ALLOW_PRIVATE"
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class PrivateAddressError(Exception):
    """A fetch refused because its host is, or resolves to, an address that is not public."""

    def __init__(self, host: str, address: Address, kind: str) -> None:
        self.host, self.address, self.kind = host, address, kind
        named = f"{host} is a {kind} address" if _literal(host) == address else \
            f"{host} resolves to a {kind} address {address}"
        super().__init__(f"{named}; set {ALLOW_SETTING}=true to allow")


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def refusal(address: Address) -> str | None:
    """Why `address` may not be fetched from ("loopback", "private", ...), or None when public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded)
    checks = (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
              ("link-local", address.is_link_local), ("multicast", address.is_multicast),
              ("reserved", address.is_reserved), ("private", address.is_private))
    for kind, hit in checks:
        if hit:
            return kind
    return None if address.is_global else "non-public"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def literal_refusal(url: str) -> PrivateAddressError | None:
    """The refusal for a URL whose host is a non-public IP literal; None for a public literal, a
    host name (checked when it is resolved) or a URL httpx cannot parse (its fetch fails anyway)."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        return None
    address = _literal(host)
    kind = refusal(address) if address is not None else None
    return PrivateAddressError(host, address, kind) if address is not None and kind else None


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses (an IP literal is its own), in the resolver's order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend: resolve once, refuse non-public addresses, connect by address."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None, resolver: Resolver = resolve) -> None:
        self.inner = inner or httpcore.AnyIOBackend()
        self.resolver = resolver

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        """Raises PrivateAddressError (before any connection) for a non-public address, and
        httpcore.ConnectError / ConnectTimeout when the name cannot be resolved or reached."""
        try:
            found = await asyncio.wait_for(self.resolver(host.strip("[]"), port), timeout)
        except TimeoutError as err:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from err
        except OSError as err:
            raise httpcore.ConnectError(f"cannot resolve {host}: {err}") from err
        addresses = [ipaddress.ip_address(a) for a in found]
        for address in addresses:
            kind = refusal(address)
            if kind:
                raise PrivateAddressError(host, address, kind)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(str(address), port, timeout=timeout,
                                                    local_address=local_address, socket_options=socket_options)
            except httpcore.ConnectError as err:
                failure = err
        raise failure or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("fetches go over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PublicOnlyTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on a PublicOnlyBackend. httpx takes no network
    backend of its own, so the pool is rebuilt with httpx's default limits and TLS context."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        super().__init__()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's defaults
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend or PublicOnlyBackend())
