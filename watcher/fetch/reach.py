"""Where a source's fetches may go: its own site, the hosts it lists, and inside the network only where it is.

Pages are written by strangers, so every URL watcher did not read from
sources.toml (a detail link, a `follow` link, a meta refresh, an iframe, a
JavaScript redirect, an HTTP redirect) is checked here before it is fetched:

- **the site rule** (on the URL): the host must be the source's own site, the
  host of its `url` or `base_url` or one sharing their registrable domain
  (`fms.mofcom.gov.cn` and `www.mofcom.gov.cn` share `mofcom.gov.cn`, by the
  Public Suffix List bundled with `publicsuffixlist`); an IP address is only
  the same site as the same IP address. The port must be the source's, or
  80/443 when the source is on one of those (http <-> https). Or the host
  matches a pattern the source lists (`hosts`, `detail.hosts`).
- **the address rule** (on the connected address, see `watcher.fetch.guard`):
  a loopback, private, link-local, unique-local, shared or metadata address is
  refused unless it is where the source's own `url`/`base_url` is (that
  address and port): a user watching an intranet page says so by its URL.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from watcher.core.errors import FetchError
from watcher.core.hosts import DEFAULT_PORTS, HostPattern, normal_host

if TYPE_CHECKING:
    from watcher.core.models import SourceView

_SCHEME_PORTS = {"http": 80, "https": 443}
# Instance-metadata services: AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba Cloud, AWS ECS task metadata.
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


class Refused(FetchError):
    """A URL or an address this source may not reach; the message says which rule and how to allow it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="refused")


def internal_kind(address: str) -> str | None:
    """Why an IP address is inside the network ("loopback", "private", "cloud metadata", ...); None when public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):  # an IPv4 address carried inside IPv6 is that IPv4 address
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return internal_kind(str(embedded))
    if ip in _METADATA:
        return "cloud metadata"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if isinstance(ip, ipaddress.IPv6Address) and ip in _UNIQUE_LOCAL:
        return "unique-local"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"  # e.g. 100.64.0.0/10, shared carrier-grade NAT
    return None


def ports_match(port: int, other: int) -> bool:
    """The same port, or both the web's default ports (a site moving between http and https)."""
    return port == other or (port in DEFAULT_PORTS and other in DEFAULT_PORTS)


def same_site(host: str, other: str) -> bool:
    """The same IP address, or names sharing a registrable domain (or equal, when there is none: `localhost`)."""
    host, other = normal_host(host), normal_host(other)
    if host == other:
        return True
    ip, other_ip = _ip(host), _ip(other)
    if ip is not None or other_ip is not None:
        return ip == other_ip
    domain = _registrable(host)
    return domain is not None and domain == _registrable(other)


@dataclass(frozen=True)
class Reach:
    """Where one source's fetches may go (see the module docstring); `key` names the option that widens it."""

    sites: tuple[tuple[str, int], ...]  # (host, port) of the source's url and base_url
    hosts: tuple[HostPattern, ...] = ()
    key: str = "hosts"

    @classmethod
    def of(
        cls, url: str, *, also: tuple[str | None, ...] = (), hosts: tuple[str, ...] = (), key: str = "hosts"
    ) -> Reach:
        sites = []
        for each in (url, *also):
            endpoint = endpoint_of(each) if each else None
            if endpoint is not None and endpoint not in sites:
                sites.append(endpoint)
        return cls(tuple(sites), tuple(HostPattern.parse(pattern) for pattern in hosts), key)

    @classmethod
    def for_source(cls, source: SourceView, *, detail: bool = False) -> Reach:
        """A source's reach: its list fetch, or (`detail=True`) the pages its items link to, which may also go
        to `detail.hosts`."""
        hosts = tuple(source.hosts)
        if detail and source.detail is not None:
            hosts += tuple(source.detail.hosts)
        base_url = getattr(source.options, "base_url", None)
        return cls.of(source.url, also=(base_url,), hosts=hosts, key="detail.hosts" if detail else "hosts")

    def check(self, url: str, what: str = "link") -> tuple[str, int]:
        """The (host, port) of a URL this source may fetch; raises Refused for any other."""
        endpoint = endpoint_of(url)
        if endpoint is None:
            raise Refused(f"{what} to {_short(url)} refused: only http and https URLs are fetched")
        host, port = endpoint
        if any(same_site(host, site) and ports_match(port, site_port) for site, site_port in self.sites):
            return endpoint
        if any(pattern.matches(host, port) for pattern in self.hosts):
            return endpoint
        own = ", ".join(_join(site, site_port) for site, site_port in self.sites) or "none"
        raise Refused(
            f"{what} to {_join(host, port)} refused: not the source's site ({own}); list it in {self.key} to allow it"
        )


def endpoint_of(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, the port filled in from the scheme; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEME_PORTS or not parts.hostname:
        return None
    return normal_host(parts.hostname), port if port is not None else _SCHEME_PORTS[scheme]


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _registrable(host: str) -> str | None:
    return _suffixes().privatesuffix(host)


@lru_cache(maxsize=1)
def _suffixes():
    from publicsuffixlist import PublicSuffixList  # reads the list bundled with the package; never downloads

    return PublicSuffixList()


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _short(url: str) -> str:
    return url if len(url) <= 80 else url[:77] + "..."
