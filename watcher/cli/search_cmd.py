"""`watcher search`: the events whose titles, text or facts contain every term, newest first."""

from __future__ import annotations

import json

import click

from watcher.cli import UserFacingError
from watcher.cli.context import AppContext
from watcher.cli.table import render


@click.command()
@click.argument("terms", nargs=-1, required=True)
@click.option("--label", "-l", "labels", multiple=True, help="Only events with this label (repeat for several).")
@click.option("--source", "-s", "sources", multiple=True, help="Only events reported by this source (repeatable).")
@click.option("--since", help="Only events first seen since a date (2025-10-09) or an age (24h, 7d), in UTC.")
@click.option("--limit", "-n", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event.")
@click.pass_obj
def search(
    app: AppContext,
    terms: tuple[str, ...],
    labels: tuple[str, ...],
    sources: tuple[str, ...],
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Search events: every TERM must appear in an event's titles, text or facts (any case; Chinese
    needs no spaces, and one or two characters such as 镓 or 稀土 work too). Quote a phrase to keep it
    together.

    \b
    Example:
        watcher search 稀土 --label quota
        watcher search gallium germanium --since 30d --json
        watcher search '"export control"' 镓
    """
    from watcher.cli.history_cmd import since_stamp
    from watcher.store.search import QueryTooBroad
    from watcher.store.views import EventQuery
    from watcher.web.present import headline

    store = app.existing_store()
    if store is None:
        click.echo(f"no state in {app.state_dir} yet: run `watcher check` first", err=True)
        return
    query = EventQuery(
        labels=labels,
        sources=sources,
        since=since_stamp(since, store.now()) if since else None,
        text=" ".join(_quoted(term) for term in terms),
        limit=limit,
    )
    try:
        rows = store.views.events(query).rows
    except QueryTooBroad as error:
        raise UserFacingError(str(error)) from None
    finally:
        store.close()
    if as_json:
        for row in rows:
            main, original = headline(row)
            out = {key: row.get(key) for key in ("id", "first_seen", "label", "severity", "source", "title", "url")}
            out.update(headline=main, original_title=original, published=row.get("published"), facts=row["facts"])
            click.echo(json.dumps(out, ensure_ascii=False))
        return
    if not rows:
        click.echo("no events match")
        return
    table = [
        [row["first_seen"], f"{row['label']}/{row['severity']}", row["source"] or "-", headline(row)[0]] for row in rows
    ]
    click.echo(render(["FIRST SEEN", "LABEL", "SOURCE", "TITLE"], table, limits={2: 28, 3: 80}))


def _quoted(term: str) -> str:
    """A shell argument with a space in it ("rare earth") is one phrase."""
    return f'"{term}"' if " " in term.strip() and not term.startswith('"') else term
