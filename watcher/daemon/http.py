"""`/healthz` and `/metrics` for a running daemon, on a small threaded HTTP server.

Off by default; loopback unless an address is given, because the metrics name
every source and a health endpoint is nobody else's business. In a container
the address must be 0.0.0.0 for the port mapping to reach it.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from watcher.core.errors import WatcherError

log = logging.getLogger(__name__)

# returns (healthy, details): details become the JSON body, with a "reason" when unhealthy
HealthProbe = Callable[[], tuple[bool, dict[str, Any]]]


def parse_address(value: str) -> tuple[str, int]:
    """`PORT`, `HOST:PORT` or `[V6]:PORT` -> (host, port); a bare port (or `:PORT`) means 127.0.0.1."""
    text = value.strip()
    host, port = "127.0.0.1", text
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
    elif ":" in text:
        host, _, port = text.rpartition(":")
        host = host or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535 or not host:
        raise ValueError(f"{value!r} is not PORT or HOST:PORT (e.g. 9464, 127.0.0.1:9464, 0.0.0.0:9464)")
    return host, int(port)


class HealthServer:
    """Serves `/healthz` (JSON, 200 or 503) and `/metrics` (Prometheus text) until `close()`."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry, health: HealthProbe) -> None:
        handler = type("Handler", (_Handler,), {"registry": registry, "health": staticmethod(health)})
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("Server", (ThreadingHTTPServer,), {"address_family": family, "daemon_threads": True})
        try:
            self.server = server_class((host, port), handler)
        except OSError as error:
            raise WatcherError(
                f"cannot serve /healthz and /metrics on {host}:{port}: {error.strerror}",
                hint="choose another --http port, or stop what listens there",
            ) from None
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="http", daemon=True
        )

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"

    def start(self) -> None:
        self.thread.start()
        log.info("serving /healthz and /metrics on http://%s", self.address)

    def close(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    registry: CollectorRegistry
    health: HealthProbe
    server_version = "watcher"

    def log_message(self, format: str, *args: Any) -> None:  # scrapes every 15 s would flood the log
        log.debug("http %s", format % args)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, generate_latest(self.registry), CONTENT_TYPE_LATEST)
        elif path in ("/healthz", "/health"):
            try:
                healthy, details = self.health()
            except Exception as error:  # a probe that fails is an unhealthy daemon, not a crashed server
                healthy, details = False, {"status": "unavailable", "reason": f"health probe failed: {error}"}
            body = json.dumps(details, ensure_ascii=False, sort_keys=True).encode("utf-8")
            self._send(200 if healthy else 503, body, "application/json")
        else:
            self._send(404, b'{"error": "not found; try /healthz or /metrics"}', "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
