"""`watcher history`: the changes watcher recorded, newest first."""

from __future__ import annotations

import json
from typing import Any

import click

from watcher.cli.context import AppContext
from watcher.cli.table import render
from watcher.core.timestamps import display


def since_stamp(value: str, now_stamp: str, timezone: str = "UTC") -> str:
    """`--since` as a stored timestamp: a date (2025-10-09) or date-time in the display zone, or an age (24h, 7d)."""
    from watcher.core.periods import since_stamp as parse_since

    try:
        return parse_since(value, now_stamp, timezone)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None


@click.command()
@click.option("--source", "-s", help="Only this source.")
@click.option(
    "--since",
    help="Only changes detected since a date (2025-10-09), a date-time or an age (24h, 7d); "
    "dates in [settings] timezone.",
)
@click.option("--label", metavar="LABEL", help="Only changes classified with this label (e.g. quota, deal).")
@click.option("--limit", "-n", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--removed/--no-removed", default=False, show_default=True, help="Include items that left their page.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per change.")
@click.pass_obj
def history(
    app: AppContext, source: str | None, since: str | None, label: str | None, limit: int, removed: bool, as_json: bool
) -> None:
    """List recorded changes, newest first.

    \b
    Example:
        watcher history --since 7d --label quota
        watcher history --source miit-notices --json
    """
    if label is not None:
        from watcher.core.labels import shipped

        labels = app.config().labels if app.sources_file.exists() else shipped()  # with a user lexicon's labels
        if label not in labels:
            raise click.BadParameter(f"{label!r} is not a label; labels are {', '.join(labels)}", param_hint="--label")
    store = app.existing_store()
    if store is None:
        click.echo(f"no state in {app.state_dir} yet: run `watcher check` first", err=True)
        return
    if source is not None:
        _known_source(app, store, source)
    timezone = app.timezone()
    since_value = since_stamp(since, store.now(), timezone) if since else None
    rows = store.reports.history(source=source, since=since_value, label=label, limit=limit, include_removed=removed)
    store.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(_public(row), ensure_ascii=False))
        return
    if not rows:
        click.echo("no changes recorded" + (" for these filters" if source or since or label else ""))
        return
    table = [
        [
            display(row["detected_at"], timezone),
            row["source"],
            row["change"],
            f"{row['label']}/{row['severity']}" if row.get("label") else "-",
            row["title"],
        ]
        for row in rows
    ]
    click.echo(render(["DETECTED", "SOURCE", "CHANGE", "LABEL", "TITLE"], table, limits={1: 28, 4: 80}))


def _known_source(app: AppContext, store: Any, name: str) -> None:
    """A `--source` that neither sources.toml nor the state knows is a typo, not an empty history."""
    from watcher.core.errors import ConfigError

    try:
        configured = [source.name for source in app.config().sources]
    except ConfigError:  # history must stay readable while sources.toml is being fixed
        configured = []
    if name in configured:
        return
    stored = store.reports.source_rows()
    if name not in stored:
        store.close()
        known = ", ".join(dict.fromkeys([*configured, *sorted(stored)])) or "none"
        raise click.UsageError(f"no source named {name!r} in {app.sources_file} or the state; known: {known}")


def _public(row: dict) -> dict:
    out = {
        "detected_at": row["detected_at"],
        "source": row["source"],
        "change": row["change"],
        "id": row["item_id"],
        "title": row["title"],
        "url": row["url"],
        "published": row["published"],
    }
    if row.get("diff"):
        out["diff"] = row["diff"]
    if row.get("event_id") is not None:
        out.update(
            event_id=row["event_id"],
            label=row["label"],
            severity=row["severity"],
            matched=row.get("matched") or [],
            facts=row.get("facts") or {},
        )
    return out
