"""The Flask application: one read-only connection per server thread, a token check, strict headers.

Security, in one place: with a token every request must carry it (a Bearer or Basic header, or the cookie the
login form sets); without one the server listens on loopback only and answers only requests addressed to a
loopback name, so a web page elsewhere cannot reach it by rebinding a DNS name. Templates autoescape
everything; the Content-Security-Policy allows no script at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, Response, g, redirect, request, url_for
from flask.json.provider import DefaultJSONProvider

from watcher.web.auth import authorised, loopback_host
from watcher.web.context import Readers, WebOptions

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
OPEN_PATHS = ("/login", "/static/")  # reachable without the token: the form and its stylesheet
MACHINE_PATHS = ("/api/", "/feeds/", "/events.csv")  # answered 401 rather than sent to the login form

__all__ = ["WebOptions", "create_app"]


def create_app(options: WebOptions) -> Flask:
    """The web view over `options.state_dir` (which must exist and be migrated: `Store.open` it first)."""
    from watcher.web.routes import pages

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(WATCHER=options, MAX_CONTENT_LENGTH=16 * 1024)
    if isinstance(app.json, DefaultJSONProvider):  # the provider Flask makes unless told otherwise
        app.json.ensure_ascii = False
        app.json.sort_keys = False
    app.jinja_options = {**app.jinja_options, "autoescape": True}  # every template, whatever its file name
    app.extensions["watcher.readers"] = Readers(options.state_dir)
    app.register_blueprint(pages)

    @app.before_request
    def _guard() -> ResponseReturnValue | None:
        if options.token is None:
            if not loopback_host(request.host):
                return Response("this server answers loopback addresses only\n", 421, mimetype="text/plain")
            return None
        if request.path.startswith(OPEN_PATHS) or authorised(options.token):
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
