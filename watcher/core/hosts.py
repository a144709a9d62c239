"""Host patterns as sources.toml writes them (`hosts`, `detail.hosts`): parsed by config, matched by fetch."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

DEFAULT_PORTS = frozenset({80, 443})
_PATTERN = re.compile(
    r"^(?P<host>\*|(?:\*\.)?[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\])(?::(?P<port>\d{1,5}))?$"
)


def normal_host(host: str) -> str:
    """A host as compared: lower case, no brackets or trailing dot, IDNA (punycode) for non-ASCII names."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host.isascii():
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    return host


@dataclass(frozen=True, slots=True)
class HostPattern:
    """`example.org`, `*.sec.gov` (sec.gov and its subdomains), `*` (any host), each with an optional `:port`."""

    host: str  # "" for any host
    subdomains: bool
    port: int | None  # None: 80 or 443

    @classmethod
    def parse(cls, text: str) -> HostPattern:
        match = _PATTERN.match(text.strip().lower())
        if match is None:
            raise ValueError(
                f"{text!r} is not a host pattern; write a host ('example.org'), its subdomains too "
                f"('*.example.org'), any host ('*'), each optionally with ':port'"
            )
        host, port = match["host"], match["port"]
        if port is not None and not 0 < int(port) < 65536:
            raise ValueError(f"{text!r}: port {port} is out of range")
        subdomains = host.startswith("*.")
        host = "" if host == "*" else normal_host(host.removeprefix("*."))
        return cls(host, subdomains, int(port) if port is not None else None)

    def matches(self, host: str, port: int) -> bool:
        if (port not in DEFAULT_PORTS) if self.port is None else port != self.port:
            return False
        host = normal_host(host)
        if not self.host:
            return True
        return host == self.host or (self.subdomains and host.endswith("." + self.host))

    def __str__(self) -> str:
        host = "*" if not self.host else ("*." if self.subdomains else "") + self.host
        return host if self.port is None else f"{host}:{self.port}"
