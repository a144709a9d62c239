"""Connections that check where they really go: the address after DNS, before connecting, and on every reuse.

A URL's host says nothing reliable about where it leads: `metadata.example`
may resolve to 169.254.169.254, and a name may resolve differently a second
later (DNS rebinding). So the urllib3 connections of watcher's sessions
resolve the host themselves (through the Fetcher's resolver), drop every
address the current Reach refuses (`watcher.fetch.reach`), and connect only to
a vetted one; a kept-alive connection is checked again, by its peer address,
before each request. The Reach of the fetch running on this thread is set by
`Fetcher.fetch` (`guarding`); with none set, only public addresses pass.

Each connection made or reused during a fetch is also registered there, so the
fetch's watchdog can cut its socket when the fetch's deadline passes.

Through an HTTP(S) or SOCKS proxy the peer is the proxy, which is the
operator's configuration and trusted; the target's name is then resolved here
and checked before the request (`Guard.check_proxied`), but what the proxy
itself connects to is the proxy's to restrict.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError
from urllib3.util.connection import allowed_gai_family

from watcher.fetch.reach import Reach, internal_kind, ports_match

Resolver = Callable[[str, int], list[str]]  # host, port -> IP addresses, in the order to try them

_local = threading.local()


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for a host (IPv4 and/or IPv6 as urllib3 would use)."""
    found = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class AddressRefused(Exception):
    """A connection the current Reach does not allow; the message names the host, its address and why."""


class Guard:
    """The address rule of one fetch: public addresses, and internal ones only where the source itself is."""

    def __init__(self, reach: Reach, resolver: Resolver = system_resolver) -> None:
        self.reach = reach
        self.resolver = resolver
        self._resolved: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self.sockets: list[socket.socket] = []

    def resolve(self, host: str, port: int) -> list[str]:
        """A host's addresses; resolved once per fetch, so the address checked is the address connected to."""
        with self._lock:
            known = self._resolved.get(host)
        if known is None:
            known = [host.strip("[]")] if _is_ip(host) else self.resolver(host, port)
            with self._lock:
                self._resolved.setdefault(host, known)
        return known

    def refusal(self, host: str, port: int, address: str) -> str | None:
        """Why connecting to `address` for host:port is refused, or None when it is allowed."""
        kind = internal_kind(address)
        if kind is None:
            return None
        for site, site_port in self.reach.sites:
            if ports_match(port, site_port):
                try:
                    if address in self.resolve(site, site_port):
                        return None  # the source itself is there: its own url says so
                except OSError:
                    continue
        where = f"{address}:{port} is" if host == address else f"{host}:{port} is at {address},"
        return f"{where} a {kind} address: refused (the source's own url is not there)"

    def check_proxied(self, host: str, port: int) -> None:
        """Before a request through a proxy: refuse a target whose name resolves here to a refused address."""
        try:
            addresses = self.resolve(host, port)
        except OSError:
            return  # only the proxy can resolve it; the proxy is the boundary then
        for address in addresses:
            why = self.refusal(host, port, address)
            if why is not None:
                raise AddressRefused(why)

    def register(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self.sockets.append(sock)

    def cut(self) -> None:
        """End every connection of this fetch (its deadline passed): a blocked read returns at once."""
        with self._lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


_PUBLIC_ONLY = Reach(sites=())


@contextmanager
def guarding(guard: Guard) -> Iterator[Guard]:
    """Make `guard` the rule for connections made on this thread until the block ends."""
    previous = getattr(_local, "guard", None)
    _local.guard = guard
    try:
        yield guard
    finally:
        _local.guard = previous


def current_guard() -> Guard:
    guard = getattr(_local, "guard", None)
    return guard if guard is not None else Guard(_PUBLIC_ONLY)


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host.strip("[]").split("%", 1)[0])
    except OSError:
        return False
    return True


class _Guarded:
    """Mixin for urllib3 connections: connect only to vetted addresses; re-check the peer before each request.

    Its `# type: ignore`s are all one reason: to mypy a mixin's super() is `object` and `self` is no urllib3
    connection; at run time both are urllib3's HTTP(S)Connection, the classes below put it first in the MRO.
    """

    host: str
    port: int
    proxy: Any
    sock: socket.socket | None
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        guard = current_guard()
        if self.proxy is not None:  # the peer is the operator's proxy
            sock = super()._new_conn()  # type: ignore[misc]  # a mixin (class docstring)
            guard.register(sock)
            return sock
        name = self._dns_host
        try:
            addresses = guard.resolve(name, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]  # a mixin (class docstring)
        allowed: list[str] = []
        refused: list[str] = []
        for address in addresses:
            why = guard.refusal(self.host, self.port, address)
            (refused if why else allowed).append(why or address)
        if not allowed:
            raise AddressRefused(refused[0] if refused else f"{self.host} has no address")
        last_error: Exception | None = None
        for address in allowed:
            self._dns_host = address  # urllib3 connects to _dns_host and keeps self.host for Host, SNI and TLS
            try:
                sock = super()._new_conn()  # type: ignore[misc]  # a mixin (class docstring)
            except Exception as failed:  # the next vetted address may answer
                last_error = failed
                continue
            finally:
                self._dns_host = name
            guard.register(sock)
            return sock
        assert last_error is not None
        raise last_error

    def request(self, *args: Any, **kwargs: Any) -> Any:
        guard = current_guard()
        if self.sock is not None:  # a kept-alive connection, vetted under another fetch's rule
            guard.register(self.sock)
            if self.proxy is None:
                try:
                    address = self.sock.getpeername()[0]
                except OSError:
                    address = None
                why = guard.refusal(self.host, self.port, address) if address else None
                if why is not None:
                    self.close()  # type: ignore[attr-defined]  # a mixin (class docstring)
                    raise AddressRefused(why)
        return super().request(*args, **kwargs)  # type: ignore[misc]  # a mixin (class docstring)


class GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """requests' adapter with guarded connections, also behind an HTTP(S) proxy (not a SOCKS one: see above)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _guard_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            _guard_pools(manager)
        return manager


def _guard_pools(manager: Any) -> None:
    manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
