"""`watcher prune`: the retention, by hand (the daemon also runs it daily)."""

from __future__ import annotations

import click

from watcher.cli.context import AppContext
from watcher.core.timestamps import shift


@click.command()
@click.option(
    "--older-than",
    metavar="DURATION",
    help="Delete rows older than this, e.g. 90d or 36h. Default: [settings] retention (90d).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@click.pass_obj
def prune(app: AppContext, older_than: str | None, dry_run: bool) -> None:
    """Delete check-log rows and delivered outbox rows (sent, alone or in a digest, with their attempts) older than a
    duration. Events, items and changes are never deleted: they are the record of what happened.

    \b
    Example:
        watcher prune --dry-run
        watcher prune --older-than 30d
    """
    from watcher.core.units import parse_duration

    if older_than is not None:
        try:
            seconds = parse_duration(older_than)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--older-than") from None
        if seconds <= 0:
            raise click.BadParameter("must be more than 0", param_hint="--older-than")
    else:
        seconds = app.config().settings.retention
    store = app.existing_store()
    if store is None:
        click.echo(f"no state in {app.state_dir}: nothing to prune")
        return
    try:
        cutoff = shift(store.now(), -seconds)
        counts = store.upkeep.prune(cutoff, dry_run=dry_run)
    finally:
        store.close()
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {counts['checks']} check-log rows, {counts['deliveries']} delivered outbox rows and "
        f"{counts['attempts']} delivery attempts older than {cutoff}"
    )
