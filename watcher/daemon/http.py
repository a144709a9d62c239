"""`/healthz` and `/metrics` for a running daemon, and the web view beside them, on one waitress server.

Off by default; loopback unless an address is given, because the metrics name
every source and a health endpoint is nobody else's business. In a container
the address must be 0.0.0.0 for the port mapping to reach it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
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
    """Serves `/healthz` (JSON, 200 or 503) and `/metrics` (Prometheus text) until `close()`.

    With `web` (the web view's WSGI app), every other path goes to it: `watcher run --http` serves the
    pages beside the two endpoints, on one port. The endpoints themselves never need the web view's token,
    so service managers and Prometheus keep probing them as before.
    """

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        health: HealthProbe,
        web: Callable[..., Any] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        from watcher.web.server import WebServer

        self.serves = "/healthz, /metrics and the web view" if web is not None else "/healthz and /metrics"
        app = _endpoints(registry, health, web)
        self.server = WebServer(app, host, port, what=self.serves, on_close=on_close)

    @property
    def address(self) -> str:
        return self.server.address

    def start(self) -> None:
        self.server.start()
        log.info("serving %s on http://%s", self.serves, self.address)

    def close(self) -> None:
        self.server.close()


def open_http(
    address: tuple[str, int],
    registry: CollectorRegistry,
    health: HealthProbe,
    *,
    state_dir: Path,
    token: str | None,
    timezone: str | None,
) -> HealthServer:
    """The daemon's HTTP endpoint: the web view too, unless it would be open to others without a token.

    On a non-loopback address without a token (a container publishing /healthz) the web view stays off and
    a warning says how to turn it on; /healthz and /metrics are served as before.
    """
    from watcher.web.auth import loopback_bind

    host, port = address
    if token is None and not loopback_bind(host):
        log.warning(
            "web view off on %s: not a loopback address and no token (set WATCHER_HTTP_TOKEN to serve it); "
            "serving /healthz and /metrics only",
            host,
        )
        return HealthServer(host, port, registry, health)
    from watcher.web.app import WebOptions, create_app
    from watcher.web.present import reader_zone
    from watcher.web.server import check_bind

    check_bind(host, token)
    try:
        zone = reader_zone(timezone)
    except ValueError as error:
        raise WatcherError(str(error)) from None
    web = create_app(WebOptions(state_dir=state_dir, zone=zone, token=token))
    return HealthServer(host, port, registry, health, web=web, on_close=web.extensions["watcher.readers"].close)


def _endpoints(
    registry: CollectorRegistry, health: HealthProbe, web: Callable[..., Any] | None
) -> Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]:
    """A WSGI app: /metrics and /healthz here, anything else to the web view (or 404)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return _send(start_response, 200, generate_latest(registry), CONTENT_TYPE_LATEST)
        if path in ("/healthz", "/health"):
            try:
                healthy, details = health()
            except Exception as error:  # a probe that fails is an unhealthy daemon, not a crashed server
                healthy, details = False, {"status": "unavailable", "reason": f"health probe failed: {error}"}
            body = json.dumps(details, ensure_ascii=False, sort_keys=True).encode("utf-8")
            return _send(start_response, 200 if healthy else 503, body, "application/json")
        if web is not None:
            return web(environ, start_response)
        return _send(start_response, 404, b'{"error": "not found; try /healthz or /metrics"}', "application/json")

    return app


def _send(start_response: Callable[..., Any], status: int, body: bytes, content_type: str) -> list[bytes]:
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
    )
    return [body]
