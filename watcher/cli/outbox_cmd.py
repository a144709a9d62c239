"""`watcher outbox`: what is waiting, sent or dead, and the levers to requeue or send now."""

from __future__ import annotations

import json

import click

from watcher.cli.context import AppContext
from watcher.cli.table import render
from watcher.core.timestamps import display


@click.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "dead"]), help="Only this status.")
@click.option("--limit", "-n", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per delivery.")
@click.pass_context
def outbox(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """List deliveries, newest first: pending, sent and dead, with attempts and the last error.

    \b
    Example:
        watcher outbox --status dead
        watcher outbox retry --dead
    """
    if ctx.invoked_subcommand is not None:
        return
    app: AppContext = ctx.obj
    store = app.existing_store()
    if store is None:
        click.echo(f"no state in {app.state_dir} yet")
        return
    counts = store.outbox.outbox_counts()
    rows = store.outbox.outbox_rows(status, limit)
    store.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    zone = app.timezone()
    summary = ", ".join(f"{name} {counts.get(name, 0)}" for name in ("pending", "sending", "sent", "dead"))
    click.echo(f"outbox: {summary}")
    if rows:
        table = [
            [
                row["id"],
                row["tag"],
                row["mode"],
                row["status"],
                row["attempts"],
                display(row["sent_at"] or row["next_attempt_at"], zone),
                f"[{row['label']}] {row['title']}",
                " ".join((row["last_error"] or "").split()),  # one line; the last column is not cut
            ]
            for row in rows
        ]
        click.echo(
            render(
                ["ID", "TAG", "MODE", "STATUS", "TRIES", "SENT/NEXT", "EVENT", "LAST ERROR"],
                table,
                limits={6: 60},  # the error starts with the target's masked URL: cut, it would lose the reason
            )
        )


@outbox.command()
@click.option("--dead", "dead_only", is_flag=True, help="Only dead deliveries (with a fresh attempt budget).")
@click.pass_obj
def retry(app: AppContext, dead_only: bool) -> None:
    """Requeue failed deliveries so the next drain sends them at once.

    \b
    Example:
        watcher outbox retry --dead
    """
    store = app.store()
    count = store.outbox.requeue(dead_only=dead_only)
    store.close()
    click.echo(f"requeued {count} deliver{'y' if count == 1 else 'ies'}")


@outbox.command()
@click.option("--digests", is_flag=True, help="Also send digests now, before their scheduled time.")
@click.pass_obj
def send(app: AppContext, digests: bool) -> None:
    """Deliver what is due now (the daemon does this on its own every few seconds).

    \b
    Example:
        watcher outbox send --digests
    """
    from watcher.notify.setup import build_notifier

    store = app.store()
    report = build_notifier(app.config(), store, app.alerts_dir).drain(digests_now=digests)
    store.close()
    click.echo(str(report))
