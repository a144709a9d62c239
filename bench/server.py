"""A loopback HTTP server for the pages of `pages.Site`, with conditional GET and answer counts.

Why this shape: the benchmark measures the clients, so the server must be cheap
per request and must not make anyone wait. Responses are prebuilt bytes written
in one `write` (no Nagle stall on keep-alive connections), HTTP/1.1 keep-alive
is on for clients that reuse connections, and a thread per connection serves
the clients that do not (urlwatch opens one per request).

It is bounded, as any load generator here must be: it binds 127.0.0.1 only,
answers at most `max_requests` requests (then 503 and stops) and stops by
itself after `max_seconds`.

Routes: `GET /p/<n>` a page (n from 1); `POST /_control/change?fraction=0.05&seed=1`
makes that share of pages gain an item and returns what was added as JSON;
`POST /_control/reset` restores the pristine pages; `GET /_control/counts`
returns the answer counts. The benchmark calls the same things as methods.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from dataclasses import asdict
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from pages import Site


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses weak comparison: W/ prefixes are ignored, '*' matches anything."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def _not_modified_since(header: str, mtime: int) -> bool:
    try:
        return mtime <= parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError):
        return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: PageServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the answer counts say enough, and a log line per request would cost more than the answer."""

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes = b"") -> None:
        self.server.count(status)
        reason = self.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}", f"Date: {self.date_time_string()}", "Server: bench-pages"]
        lines += [f"{name}: {value}" for name, value in headers]
        if status != 304:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        if self.command == "HEAD":
            body = b""
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def _admit(self) -> bool:
        if self.server.admit():
            return True
        self.close_connection = True
        self._send(503, [("Content-Type", "text/plain")], b"request budget spent\n")
        return False

    def do_GET(self) -> None:
        if not self._admit():
            return
        path = urlsplit(self.path).path
        if path == "/_control/counts":
            self._json(self.server.counts())
            return
        page = None
        if path.startswith("/p/") and path[3:].isdigit():
            page = self.server.site.page(int(path[3:]))
        if page is None:
            self._send(404, [("Content-Type", "text/plain")], b"not found\n")
            return
        validators = [("ETag", page.etag), ("Last-Modified", page.last_modified)]
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        # RFC 9110 13.2.2: If-None-Match, when present, decides; If-Modified-Since only without it.
        if inm is not None and inm.strip():
            fresh = _etag_matches(inm, page.etag)
        else:
            fresh = ims is not None and _not_modified_since(ims, page.mtime)
        if fresh:
            self._send(304, validators)
        else:
            self._send(200, [("Content-Type", page.content_type), *validators], page.body)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        if not self._admit():
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        if url.path == "/_control/reset":
            self.server.site.reset()
            self._json({"ok": True})
        elif url.path == "/_control/change":
            site = self.server.site
            chosen = site.pick(float(query.get("fraction", 0.05)), int(query.get("seed", 1)))
            added = site.change(chosen, int(query.get("seed", 1)), time.time())
            self._json([asdict(item) for item in added])
        else:
            self._send(404, [("Content-Type", "text/plain")], b"not found\n")

    def _json(self, value: object) -> None:
        self._send(200, [("Content-Type", "application/json")], json.dumps(value, ensure_ascii=False).encode())


class PageServer(ThreadingHTTPServer):
    """The pages of one `Site` on 127.0.0.1, counting its answers by status."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, site: Site, port: int = 0, max_requests: int = 200_000, max_seconds: float = 1800) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.site = site
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()
        self._requests = 0
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def admit(self) -> bool:
        with self._lock:
            self._requests += 1
            over = self._requests > self.max_requests
        if over:
            threading.Thread(target=self.stop, daemon=True).start()
        return not over

    def count(self, status: int) -> None:
        with self._lock:
            self._counts[status] += 1

    def counts(self) -> dict[int, int]:
        with self._lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def start(self) -> None:
        """Serve in a daemon thread; a timer ends it after max_seconds whatever happens."""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        timer = threading.Timer(self.max_seconds, self.stop)
        timer.daemon = True
        timer.start()

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.shutdown()
        self.server_close()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()


def main() -> None:
    """Serve a site by hand, to look at the pages: `python bench/server.py --pages 20 --port 8765`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--max-requests", type=int, default=10_000)
    args = parser.parse_args()
    server = PageServer(Site(args.pages), args.port, args.max_requests, args.max_seconds)
    server.site.base_url = server.base_url
    server.start()
    print(f"serving {args.pages} pages at {server.base_url}/p/1 for at most {args.max_seconds:.0f} s", flush=True)
    try:
        while not server.stopped:
            time.sleep(0.5)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
