"""`watcher prune`: the retention, by hand (the daemon also runs it daily)."""

from __future__ import annotations

import click

from watcher.cli.context import AppContext
from watcher.core.timestamps import shift


def _seconds(value: str | None, option: str) -> float | None:
    from watcher.core.units import parse_duration

    if value is None:
        return None
    try:
        seconds = parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None
    if seconds <= 0:
        raise click.BadParameter("must be more than 0", param_hint=option)
    return seconds


@click.command()
@click.option(
    "--older-than",
    metavar="DURATION",
    help="Delete check-log and delivered outbox rows older than this, e.g. 90d or 36h. "
    "Default: [settings] retention (90d).",
)
@click.option(
    "--history-older-than",
    metavar="DURATION",
    help="Delete events, their changes and items gone from their page for longer than this. "
    "Default: [settings] history_retention (730d).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@click.pass_obj
def prune(app: AppContext, older_than: str | None, history_older_than: str | None, dry_run: bool) -> None:
    """Delete old rows, in two horizons. Bookkeeping: check-log rows and delivered outbox rows (sent, alone or in a
    digest, with their attempts). History: events (with their sources, story keys and updates), the changes of
    those events, and items that left their page that long ago. An event with a delivery not yet sent (pending,
    or dead and waiting for `outbox retry`) and an item still on its page are never deleted.

    \b
    Example:
        watcher prune --dry-run
        watcher prune --older-than 30d --history-older-than 365d
    """
    seconds = _seconds(older_than, "--older-than")
    history = _seconds(history_older_than, "--history-older-than")
    if seconds is None or history is None:
        settings = app.config().settings
        seconds = settings.retention if seconds is None else seconds
        history = settings.history_retention if history is None else history
    store = app.existing_store()
    if store is None:
        click.echo(f"no state in {app.state_dir}: nothing to prune")
        return
    try:
        cutoff = shift(store.now(), -seconds)
        history_cutoff = shift(store.now(), -history)
        counts = store.upkeep.prune(cutoff, dry_run=dry_run)
        old = store.upkeep.prune_history(history_cutoff, dry_run=dry_run)
    finally:
        store.close()
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {counts['checks']} check-log rows, {counts['deliveries']} delivered outbox rows and "
        f"{counts['attempts']} delivery attempts older than {cutoff}"
    )
    click.echo(
        f"{verb} {old['events']} events, {old['changes']} changes and {old['items']} gone items older than "
        f"{history_cutoff}"
    )
