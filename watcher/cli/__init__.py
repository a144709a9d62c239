"""The `watcher` command: global options and a lazily loaded set of subcommands.

Each subcommand lives in its own module and is imported only when it runs, so
`watcher --help` starts without loading the HTTP, parsing or scheduling stack.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from watcher import __version__
from watcher.cli.context import AppContext

# command name -> (module, attribute, one-line help shown by `watcher --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("watcher.cli.run_cmd", "run", "Run the daemon: check every source on its schedule and deliver alerts."),
    "check": ("watcher.cli.check_cmd", "check", "Check sources once and print what is new or changed."),
    "sources": ("watcher.cli.sources_cmd", "sources", "List, validate or try sources."),
    "history": ("watcher.cli.history_cmd", "history", "List recorded changes, newest first."),
    "search": ("watcher.cli.search_cmd", "search", "Search events' titles, text and facts, in any language."),
    "serve": ("watcher.cli.serve_cmd", "serve", "Serve the read-only web view and feeds over the state."),
    "classify": ("watcher.cli.classify_cmd", "classify", "Classify text and extract facts, without fetching."),
    "status": ("watcher.cli.status_cmd", "status", "Show sources' health, the outbox and the last deliveries."),
    "outbox": ("watcher.cli.outbox_cmd", "outbox", "List deliveries, or requeue failed ones."),
    "notify-test": ("watcher.cli.notify_cmd", "notify_test", "Send a test message through each channel."),
    "prune": ("watcher.cli.prune_cmd", "prune", "Delete old check logs, delivered outbox rows and old history."),
    "demo": ("watcher.cli.demo_cmd", "demo", "Run the whole pipeline offline on bundled snapshots."),
    "kinds": ("watcher.cli.sources_cmd", "kinds", "Describe each source kind and its options."),
}


class UserFacingError(click.ClickException):
    """A WatcherError shown as `error: ...` with a chosen exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click types it a ClassVar; click reads the instance's

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._available(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not self._available(cmd_name):
            return None
        module_name, attribute, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        """Turn WatcherErrors from any subcommand into a message and an exit code."""
        from watcher.core.errors import ConfigError, WatcherError

        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise UserFacingError(f"invalid configuration\n{error}", exit_code=2) from None
        except WatcherError as error:
            raise UserFacingError(str(error), exit_code=1) from None

    @staticmethod
    def _available(name: str) -> bool:
        module_name = COMMANDS[name][0]
        relative = module_name.removeprefix("watcher.cli.") + ".py"
        return (Path(__file__).parent / relative).exists()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="watcher")
@click.option(
    "--sources",
    "sources_file",
    envvar="WATCHER_SOURCES",
    default="sources.toml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The watch list. [env: WATCHER_SOURCES]",
)
@click.option(
    "--state",
    "state_dir",
    envvar="WATCHER_STATE",
    default="state",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the SQLite state. [env: WATCHER_STATE]",
)
@click.option(
    "--alerts",
    "alerts_dir",
    envvar="WATCHER_ALERTS",
    default="alerts",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of channels, routes and templates. [env: WATCHER_ALERTS]",
)
@click.option(
    "--log-level",
    envvar="WATCHER_LOG_LEVEL",
    default="warning",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    help="Least severe log level to print. [env: WATCHER_LOG_LEVEL]",
)
@click.option(
    "--log-format",
    envvar="WATCHER_LOG_FORMAT",
    default="text",
    show_default=True,
    type=click.Choice(["text", "json"]),
    help="Log lines as text, or as JSON for log shippers. [env: WATCHER_LOG_FORMAT]",
)
@click.pass_context
def cli(
    ctx: click.Context, sources_file: Path, state_dir: Path, alerts_dir: Path, log_level: str, log_format: str
) -> None:
    """Watch the pages that announce critical-mineral supply events and alert on each change.

    \b
    Example:
        watcher check            # one pass over sources.toml, prints new and changed items
        watcher demo             # the whole pipeline offline, on bundled snapshots
    """
    from watcher.core.logs import setup_logging

    setup_logging(log_level, log_format)
    given = ctx.obj if isinstance(ctx.obj, AppContext) else None  # a caller's context brings its clock (tests)
    ctx.obj = AppContext(sources_file=sources_file, state_dir=state_dir, alerts_dir=alerts_dir)
    if given is not None:
        ctx.obj.clock = given.clock


def main() -> None:
    """Console entry point."""
    cli.main(prog_name="watcher")
