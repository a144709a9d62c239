"""A real HTTP server on 127.0.0.1 for tests: pages, validators, scripted faults.

Each path serves a Page. A page answers conditional requests with 304 when its
ETag or Last-Modified matches, and can be scripted to fail first (a list of
statuses), to stall, to redirect, to stream a huge body, or to drip its body
one byte at a time.
"""

from __future__ import annotations

import hashlib
import json
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Page:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # send ETag / Last-Modified and honour conditional requests
    script: list[int] = field(default_factory=list)  # statuses to answer first, one per request
    retry_after: str | None = None
    delay: float = 0.0  # seconds to wait before answering
    redirect_to: str | None = None
    stream_bytes: int = 0  # stream this many bytes of filler instead of `body`
    drip: float = 0.0  # send `body` one byte at a time, this many seconds apart (a slow-drip server)
    modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'

    def set_body(self, body: bytes) -> None:
        self.body = body
        self.modified = time.time()


class Site:
    """The server: `site.url(path)`, `site.pages[path] = Page(...)`, `site.requests` for what arrived."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[dict] = []
        self.posts: list[dict] = []  # webhook deliveries this site answered with a 2xx
        self.abandoned: list[dict] = []  # deliveries whose sender vanished before the answer
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **options) -> Page:
        if isinstance(body, str):
            body = body.encode("utf-8")
        page = self.pages[path] = Page(body=body, **options)
        return page

    def add_fixture(self, path: str, case_dir: Path) -> Page:
        """Serve a saved response: the one body.* file and the status and headers from headers.json."""
        body_file = next(p for p in sorted(case_dir.iterdir()) if p.name.startswith("body."))
        meta = json.loads((case_dir / "headers.json").read_text("utf-8"))
        headers = {k: v for k, v in meta.get("headers", {}).items()}
        content_type = headers.pop("Content-Type", headers.pop("content-type", "application/octet-stream"))
        headers = {k: v for k, v in headers.items() if k.lower() not in ("etag", "last-modified", "content-length")}
        return self.add(
            path, body_file.read_bytes(), content_type=content_type, status=meta.get("status", 200), headers=headers
        )

    def received(self, path: str) -> list[dict]:
        """JSON bodies POSTed to `path` and acknowledged with a 2xx (what a receiver really accepted)."""
        with self.lock:
            return [post["json"] for post in self.posts if post["path"] == path]

    def posted(self, path: str) -> list[dict]:
        """JSON bodies of every POST that reached `path`, answered or not."""
        with self.lock:
            return [
                request["json"]
                for request in self.requests
                if request.get("method") == "POST" and request["path"].split("?", 1)[0] == path
            ]

    def dropped(self, path: str) -> list[dict]:
        """JSON bodies POSTed to `path` whose sender was gone before the answer (a killed process)."""
        with self.lock:
            return [post["json"] for post in self.abandoned if post["path"] == path]

    def hits(self, path: str) -> list[dict]:
        with self.lock:
            return [request for request in self.requests if request["path"] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    site: Site
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        path = self.path
        page = self.site.pages.get(path) or self.site.pages.get(path.split("?", 1)[0])
        with self.site.lock:
            self.site.requests.append({"path": path, "headers": dict(self.headers), "time": time.time()})
            scripted = page.script.pop(0) if page is not None and page.script else None
        if page is None:
            return self._send(404, b"not found", "text/plain")
        if page.delay:
            time.sleep(page.delay)
            if self._peer_closed():
                self.close_connection = True
                return  # the client gave up waiting (its deadline passed): nothing to answer
        if scripted is not None:
            extra = {"Retry-After": page.retry_after} if page.retry_after else {}
            return self._send(scripted, b"scripted failure", "text/plain", extra)
        if page.redirect_to is not None:
            return self._send(302, b"", "text/plain", {"Location": page.redirect_to})
        if page.stream_bytes:
            return self._stream(page)
        if page.drip:
            return self._drip(page)
        extra = dict(page.headers)
        if page.validators and page.status == 200:
            last_modified = formatdate(page.modified, usegmt=True)
            extra.update({"ETag": page.etag, "Last-Modified": last_modified})
            if self.headers.get("If-None-Match") == page.etag or (
                "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == last_modified
            ):
                return self._send(304, b"", None, extra)
        self._send(page.status, page.body, page.content_type, extra)

    def do_POST(self) -> None:
        """A webhook receiver: scripted statuses first, then the page's status (200 by default)."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        page = self.site.pages.get(path) or Page()
        with self.site.lock:
            self.site.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "time": time.time(),
                    "method": "POST",
                    "json": payload,
                }
            )
            status = page.script.pop(0) if page.script else page.status
        deadline = time.monotonic() + page.delay
        while time.monotonic() < deadline:  # hold the answer, watching for the sender to go away
            if self._peer_closed(wait=0.05):
                with self.site.lock:
                    self.site.abandoned.append({"path": path, "json": payload})
                self.close_connection = True
                return  # the sender died while we waited: nothing is acknowledged
        try:
            self._send(status, b'{"ok": true}' if status < 300 else b"failure", "application/json")
        except (BrokenPipeError, ConnectionResetError):
            return  # the sender is gone: nothing was acknowledged
        if status < 300:
            with self.site.lock:
                self.site.posts.append({"path": path, "json": payload})

    def _peer_closed(self, wait: float = 0.0) -> bool:
        readable, _, _ = select.select([self.connection], [], [], wait)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _send(self, status: int, body: bytes, content_type: str | None, headers: dict | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _stream(self, page: Page) -> None:
        self.send_response(200)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<p>" + b"x" * 65_530 + b"</p>"
        sent = 0
        try:
            while sent < page.stream_bytes:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at its size cap, as it should
        self.close_connection = True

    def _drip(self, page: Page) -> None:
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        try:
            for index in range(len(page.body)):
                self.wfile.write(page.body[index : index + 1])
                self.wfile.flush()
                time.sleep(page.drip)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up at its deadline, as it should
        self.close_connection = True


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening (for unreachable hosts and servers started by tests)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
