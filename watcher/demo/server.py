"""A loopback mirror of a few real sites: one small HTTP server per host, on 127.0.0.1.

`watcher demo` points the shipped sources at these servers instead of the
internet. Each mirrored host (www.mofcom.gov.cn, www.sec.gov, …) gets its own
port, so a page keeps its real path and query, root-relative links in the
snapshots resolve to the same mirror, and two hosts that share a path (both
jpaas ministries serve `/api-gateway/jpaas-publish-server/front/page/build/unit`)
do not collide. Absolute links to a mirrored host inside a served page are
rewritten to its mirror, so nothing a check reads ever leads off this machine.

Pages answer conditional requests like the real sites do: an `ETag`, and a
`304 Not Modified` when the client sends it back unchanged, so the demo runs
the same conditional-GET path as production.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_TEXT_TYPES = ("html", "xml", "json", "text")


@dataclass(frozen=True, slots=True)
class Page:
    """A response body with its content type and validator."""

    body: bytes
    content_type: str

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


class _Host:
    """One mirrored host: a threaded HTTP server on a free loopback port and its pages."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pages: dict[str, Page] = {}
        self.lock = threading.Lock()
        handler = type("DemoHandler", (_Handler,), {"host": self})
        self.server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self.server.daemon_threads = True
        # a short poll interval: shutdown() waits for the next poll, once per host
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"demo-{name}", daemon=True
        )

    @property
    def origin(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_address[1]}"

    def find(self, target: str) -> Page | None:
        """The page for a request target: the exact path and query, else the same query in any order, else the path."""
        with self.lock:
            page = self.pages.get(target)
            if page is None:
                path, _, query = target.partition("?")
                wanted = _query_key(query)
                page = next(
                    (
                        candidate
                        for key, candidate in self.pages.items()
                        if key.partition("?")[0] == path and _query_key(key.partition("?")[2]) == wanted
                    ),
                    None,
                )
                if page is None:
                    page = self.pages.get(path)
            return page


def _query_key(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


class DemoServer:
    """The mirrors of the given hosts; use as a context manager (servers stop on exit).

    >>> with DemoServer(["www.example.org"]) as server:
    ...     server.put("https://www.example.org/a.html", b"<a href='https://www.example.org/b'>b</a>", "text/html")
    ...     server.local("https://www.example.org/a.html").startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, hosts: list[str]) -> None:
        self.hosts = {name: _Host(name) for name in dict.fromkeys(hosts)}

    def __enter__(self) -> DemoServer:
        for host in self.hosts.values():
            host.thread.start()
        log.info("demo mirrors: %s", ", ".join(f"{name} at {host.origin}" for name, host in self.hosts.items()))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        for host in self.hosts.values():
            host.server.shutdown()
            host.server.server_close()

    def origin(self, host: str) -> str:
        return self.hosts[host].origin

    def local(self, url: str) -> str:
        """The mirror's URL for a real URL (unchanged when its host is not mirrored)."""
        return self.rewrite(url)

    def rewrite(self, text: str) -> str:
        """Every `http(s)://<mirrored host>` in `text` pointed at its mirror."""
        for name, host in self.hosts.items():
            for scheme in ("https://", "http://"):
                text = text.replace(scheme + name, host.origin)
        return text

    def put(self, url: str, body: bytes, content_type: str) -> None:
        """Serve `body` at the real `url`'s path and query on its host's mirror, links rewritten."""
        parts = urlsplit(url)
        host = self.hosts[parts.hostname or ""]
        if any(kind in content_type for kind in _TEXT_TYPES):
            body = self._rewrite_bytes(body)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        with host.lock:
            host.pages[target] = Page(body, content_type)

    def _rewrite_bytes(self, body: bytes) -> bytes:
        for name, host in self.hosts.items():
            for scheme in (b"https://", b"http://"):
                body = body.replace(scheme + name.encode(), host.origin.encode())
        return body


class _Handler(BaseHTTPRequestHandler):
    host: _Host
    protocol_version = "HTTP/1.1"
    server_version = "watcher-demo"

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.host.name, format % args)

    def do_GET(self) -> None:
        page = self.host.find(self.path)
        if page is None:
            return self._send(404, b"not found in the demo snapshots\n", "text/plain; charset=utf-8", {})
        validators = {"ETag": page.etag}
        if self.headers.get("If-None-Match") == page.etag:
            return self._send(304, b"", None, validators)
        self._send(200, page.body, page.content_type, validators)

    def _send(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str]) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
