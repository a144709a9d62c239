"""`watcher run`: the daemon, thin: parse options, hand them to watcher.daemon.service."""

from __future__ import annotations

import click

from watcher.cli import UserFacingError
from watcher.cli.context import AppContext

EXIT_STATE_IN_USE = 3


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from watcher.core.units import parse_duration

    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _address(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, int] | None:
    from watcher.daemon.http import parse_address

    if value is None or value.strip() in ("", "off"):
        return None
    try:
        return parse_address(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command()
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Checks run at the same time (one shared HTTP client: per-host spacing holds across them).",
)
@click.option(
    "--stop-timeout",
    default="30s",
    show_default=True,
    metavar="DURATION",
    callback=_duration,
    help="On SIGTERM/SIGINT, how long running checks may take to finish before watcher exits anyway.",
)
@click.option(
    "--http",
    "http",
    metavar="[HOST:]PORT",
    envvar="WATCHER_HTTP",
    callback=_address,
    help="Serve /healthz, /metrics and the web view here (off by default; a bare port listens on 127.0.0.1). "
    "[env: WATCHER_HTTP]",
)
@click.option(
    "--token",
    envvar="WATCHER_HTTP_TOKEN",
    metavar="TOKEN",
    help="Every web-view request must carry this token; without one the web view is served on loopback only. "
    "[env: WATCHER_HTTP_TOKEN]",
)
@click.option(
    "--timezone",
    envvar="WATCHER_TIMEZONE",
    metavar="ZONE",
    help="Show times in the web view in this IANA zone (e.g. Asia/Shanghai); default UTC. [env: WATCHER_TIMEZONE]",
)
@click.pass_obj
def run(
    app: AppContext,
    workers: int,
    stop_timeout: float,
    http: tuple[str, int] | None,
    token: str | None,
    timezone: str | None,
) -> None:
    """Run the daemon: check every enabled source on its interval and deliver alerts from the outbox.

    SIGHUP, or an edit of sources.toml or alerts/, reloads the configuration (an invalid one is
    rejected and the old one keeps running). SIGTERM or SIGINT stops after running checks finish;
    a second signal exits at once. One daemon per --state directory (exit code 3 otherwise).

    \b
    Example:
        watcher --log-level info run
        watcher run --http 127.0.0.1:9464 --workers 16
        WATCHER_HTTP_TOKEN=... watcher run --http 0.0.0.0:9464   # the web view too, behind the token
    """
    from watcher.daemon.service import Daemon, DaemonOptions
    from watcher.daemon.statelock import StateLockedError

    options = DaemonOptions(
        sources_file=app.sources_file,
        state_dir=app.state_dir,
        alerts_dir=app.alerts_dir,
        workers=workers,
        stop_timeout=stop_timeout,
        http=http,
        http_token=token or None,
        timezone=timezone,
    )
    try:
        code = Daemon(options, clock=app.clock).run()
    except StateLockedError as error:
        raise UserFacingError(str(error), exit_code=EXIT_STATE_IN_USE) from None
    raise SystemExit(code)
