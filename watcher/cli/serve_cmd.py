"""`watcher serve`: the read-only web view over a state directory, beside a running daemon or alone."""

from __future__ import annotations

import click

from watcher.cli import UserFacingError
from watcher.cli.context import AppContext

DEFAULT_ADDRESS = "127.0.0.1:8464"


def _address(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, int]:
    from watcher.daemon.http import parse_address

    try:
        return parse_address(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command()
@click.option(
    "--http",
    "address",
    default=DEFAULT_ADDRESS,
    show_default=True,
    metavar="[HOST:]PORT",
    callback=_address,
    help="Where to listen. Off loopback a token is required.",
)
@click.option(
    "--token",
    envvar="WATCHER_HTTP_TOKEN",
    metavar="TOKEN",
    help="Every request must carry this token (header, or the login form's cookie). [env: WATCHER_HTTP_TOKEN]",
)
@click.option(
    "--timezone",
    envvar="WATCHER_TIMEZONE",
    metavar="ZONE",
    help="Show times in this IANA zone (e.g. Asia/Shanghai); default: [settings] timezone if set, else UTC. "
    "[env: WATCHER_TIMEZONE]",
)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Requests served at once.")
@click.pass_obj
def serve(app: AppContext, address: tuple[str, int], token: str | None, timezone: str | None, threads: int) -> None:
    """Serve the read-only web view: recent events, filters and search, each story, the quota chart,
    sources, the outbox, and Atom, JSON and CSV feeds of any filter.

    Reads the state beside a running `watcher run` (SQLite readers never block it) or alone. Listens on
    127.0.0.1 unless told otherwise; any other address needs --token, and then every request must carry
    it (`Authorization: Bearer TOKEN`, Basic auth with the token as password, or the login form's cookie).
    Stops on Ctrl-C or SIGTERM.

    \b
    Example:
        watcher serve                                   # http://127.0.0.1:8464/
        watcher serve --http 127.0.0.1:8080 --timezone Asia/Shanghai
        WATCHER_HTTP_TOKEN=$(cat token) watcher serve --http 0.0.0.0:8464
    """
    from watcher.core.errors import WatcherError
    from watcher.web.server import check_bind

    host, port = address
    token = token or None
    check_bind(host, token)
    store = app.existing_store()  # migrates an older state once, so the readers find the search index
    if store is None:
        raise UserFacingError(f"no state in {app.state_dir} yet: run `watcher check` or `watcher run` first")
    store.close()
    zone = _zone(app, timezone)
    from watcher.web.app import WebOptions, create_app
    from watcher.web.server import WebServer

    web = create_app(WebOptions(state_dir=app.state_dir, zone=zone, token=token))
    readers = web.extensions["watcher.readers"]
    try:
        server = WebServer(web, host, port, what="the web view", threads=threads, on_close=readers.close)
    except WatcherError as error:
        raise UserFacingError(str(error)) from None
    server.start()
    click.echo(f"watcher serve: http://{server.address}/ (state {app.state_dir}; Ctrl-C stops)", err=True)
    _wait_for_stop()
    server.close()


def _zone(app: AppContext, explicit: str | None):
    """--timezone, else the [settings] timezone of sources.toml when it loads, else UTC."""
    from watcher.core.errors import ConfigError
    from watcher.web.present import reader_zone, settings_zone

    name = explicit
    if name is None and app.sources_file.exists():
        try:
            name = settings_zone(app.config().settings)
        except ConfigError as error:
            click.echo(f"warning: {app.sources_file} is invalid, times are shown in UTC:\n{error}", err=True)
    try:
        return reader_zone(name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--timezone") from None


def _wait_for_stop() -> None:
    import signal
    import threading

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
