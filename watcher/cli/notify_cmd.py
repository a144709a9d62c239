"""`watcher notify-test`: prove each channel works before an alert depends on it."""

from __future__ import annotations

import click

from watcher.cli.context import AppContext
from watcher.cli.table import render


@click.command("notify-test")
@click.option("--tag", "-t", "tags", multiple=True, help="Only the targets of this tag (repeatable).")
@click.pass_obj
def notify_test(app: AppContext, tags: tuple[str, ...]) -> None:
    """Send a test message through each configured target and report each one.

    Targets are shown in Apprise's masked form: no token or password is printed.
    Exits 1 if any target failed.

    \b
    Example:
        watcher notify-test
        watcher notify-test --tag procurement
    """
    from watcher.notify.message import Message
    from watcher.notify.sender import Notifier
    from watcher.notify.setup import load_alerts

    labels = app.config().labels if app.sources_file.exists() else None  # routes may name a user lexicon's labels
    channels, _, _ = load_alerts(app.alerts_dir, labels)
    wanted = list(tags) or channels.tags()
    if not wanted:
        raise click.ClickException(f"no channel is configured in {app.alerts_dir / 'apprise.yml'}")
    rows, failed, seen = [], 0, set()
    for tag in wanted:
        targets = channels.targets(tag)
        if not targets:
            rows.append([tag, "-", "error: no channel has this tag"])
            failed += 1
        for target in targets:
            if target.id in seen:
                rows.append([tag, target.masked, "ok (already tested under another tag)"])
                continue
            seen.add(target.id)
            message = Message(
                title="watcher test message",
                body=f"This is a test from **watcher** for the tag `{tag}`. If you read it, "
                "alerts for this tag will reach you.",
                text=f"This is a test from watcher for the tag {tag}. If you read it, "
                "alerts for this tag will reach you.",
            )
            ok, error = Notifier.send_to(target, message)
            failed += 0 if ok else 1
            rows.append([tag, target.masked, "ok" if ok else f"error: {error}"])
    click.echo(render(["TAG", "TARGET", "RESULT"], rows, limits={1: 70, 2: 60}))
    if failed:
        raise click.exceptions.Exit(1)
