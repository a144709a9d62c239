"""The Flask application: one read-only connection per server thread, a token check, strict headers.

Security, in one place: with a token every request must carry it (a Bearer or Basic header, or the cookie the
login form sets, which holds an HMAC of the token rather than the token); without one the server listens on
loopback only and answers only requests addressed to a loopback name, so a web page elsewhere cannot reach it
by rebinding a DNS name. Templates autoescape everything; the Content-Security-Policy allows no script at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, redirect, request, url_for

from watcher.store import Store
from watcher.web.quota import SHIPPED

COOKIE = "watcher_session"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
OPEN_PATHS = ("/login", "/static/")  # reachable without the token: the form and its stylesheet
MACHINE_PATHS = ("/api/", "/feeds/", "/events.csv")  # answered 401 rather than sent to the login form


@dataclass
class WebOptions:
    """What the web view needs: where the state is, how to show times, and the token if one is required."""

    state_dir: Path
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    token: str | None = None
    quota_history: Path = SHIPPED
    page_size: int = 50
    title: str = "watcher"


class Readers:
    """One read-only Store per server thread (SQLite connections stay in the thread that opened them)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store.open_reader(self.state_dir)
            self._local.store = store
            with self._lock:
                self._all.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._all:
                store.close()
            self._all.clear()


def create_app(options: WebOptions) -> Flask:
    """The web view over `options.state_dir` (which must exist and be migrated: `Store.open` it first)."""
    from watcher.web.routes import pages

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(WATCHER=options, MAX_CONTENT_LENGTH=16 * 1024)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.jinja_options = {**app.jinja_options, "autoescape": True}  # every template, whatever its file name
    app.extensions["watcher.readers"] = Readers(options.state_dir)
    app.register_blueprint(pages)

    @app.before_request
    def _guard() -> Response | None:
        if options.token is None:
            if not _loopback_host(request.host):
                return Response("this server answers loopback addresses only\n", 421, mimetype="text/plain")
            return None
        if request.path.startswith(OPEN_PATHS) or _authorised(options.token):
            return None
        if request.path.startswith(MACHINE_PATHS) or request.path.endswith((".atom", ".csv", ".json")):
            response = Response("a token is required (Authorization: Bearer TOKEN)\n", 401, mimetype="text/plain")
            response.headers["WWW-Authenticate"] = 'Basic realm="watcher", charset="UTF-8"'
            return response
        return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_appcontext
    def _done(error: BaseException | None) -> None:
        g.pop("store", None)

    return app


def store() -> Store:
    """This thread's read-only Store."""
    from flask import current_app

    if "store" not in g:
        g.store = current_app.extensions["watcher.readers"].get()
    return g.store


def options() -> WebOptions:
    from flask import current_app

    return current_app.config["WATCHER"]


def session_value(token: str) -> str:
    """What the login cookie holds: a keyed hash of the token, useless as the token itself."""
    return hmac.new(token.encode("utf-8"), b"watcher web session", hashlib.sha256).hexdigest()


def token_matches(token: str, given: str) -> bool:
    return hmac.compare_digest(token.encode("utf-8"), given.encode("utf-8"))


def _authorised(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and token_matches(token, value.strip()):
        return True
    if scheme.lower() == "basic":
        try:
            _, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return token_matches(token, password)
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie, session_value(token))


def _loopback_host(host: str) -> bool:
    """Whether the Host header names this machine: localhost, 127.0.0.0/8 or ::1 (with any port)."""
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    if name.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def loopback_bind(host: str) -> bool:
    """Whether a listening address is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_machine_request() -> bool:
    return request.path.startswith(MACHINE_PATHS)


def json_error(message: str, status: int) -> tuple[dict[str, Any], int]:
    return {"error": message}, status
