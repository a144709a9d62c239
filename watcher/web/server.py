"""Serving the web view: waitress (a production WSGI server, pure Python) on a thread, and the bind rule.

A non-loopback address without a token is refused: the pages show every event, source and delivery, so
they are nobody else's business unless the operator chose a token that every request must carry.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from watcher.core.errors import WatcherError

log = logging.getLogger(__name__)


class WebServer:
    """A WSGI app on HOST:PORT in a background thread, until `close()`."""

    def __init__(
        self,
        app: Callable[..., Any],
        host: str,
        port: int,
        *,
        what: str,
        threads: int = 4,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        from waitress.server import create_server

        self.on_close = on_close
        try:
            # Any: types-waitress declares neither effective_host/effective_port nor the trigger object
            self.server: Any = create_server(
                app,
                host=host.strip("[]"),
                port=port,
                threads=threads,
                ident="watcher",
                clear_untrusted_proxy_headers=True,
                channel_timeout=30,
            )
        except OSError as error:
            raise WatcherError(
                f"cannot serve {what} on {host}:{port}: {error.strerror}",
                hint="choose another --http port, or stop what listens there",
            ) from None
        self.thread = threading.Thread(target=self.server.run, name="http", daemon=True)

    @property
    def address(self) -> str:
        host, port = self.server.effective_host, self.server.effective_port
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        """Stop accepting, close every connection, end the loop (within about a second) and the workers."""
        from waitress import wasyncore

        if self.thread.is_alive():
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))  # in the loop's thread
            self.thread.join(5)
        else:
            self.server.close()
        self.server.task_dispatcher.shutdown(timeout=5)
        if self.on_close is not None:
            self.on_close()


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback address without a token (WatcherError naming the fix)."""
    from watcher.web.auth import loopback_bind

    if token is None and not loopback_bind(host):
        raise WatcherError(
            f"refusing to serve the web view on {host} without a token: anyone who can reach it would read "
            "every event, source and delivery",
            hint="give --token TOKEN (or WATCHER_HTTP_TOKEN), or listen on 127.0.0.1",
        )
    if token is not None and len(token) < 16:
        raise WatcherError(
            "the web view's token is shorter than 16 characters",
            hint='use a long random one, e.g. python -c "import secrets; print(secrets.token_urlsafe(24))"',
        )
