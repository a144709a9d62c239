"""`watcher sources` and `watcher kinds`: what is watched, and how a watch can be written."""

from __future__ import annotations

import json

import click

from watcher.cli.context import AppContext
from watcher.cli.table import render


@click.group(invoke_without_command=True)
@click.option("--check", "validate_only", is_flag=True, help="Only validate sources.toml; exit 2 if it is invalid.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_context
def sources(ctx: click.Context, validate_only: bool, as_json: bool) -> None:
    """List the sources with their last check and status, or validate the file.

    \b
    Example:
        watcher sources
        watcher sources --check        # in CI, before deploying an edited sources.toml
    """
    if ctx.invoked_subcommand is not None:
        return
    app: AppContext = ctx.obj
    config = app.config()
    if validate_only:
        enabled = len(config.enabled())
        click.echo(f"{config.path}: OK, {len(config.sources)} sources ({enabled} enabled)")
        return
    store = app.existing_store()
    state = store.source_rows() if store is not None else {}
    rows = []
    for source in config.sources:
        seen = state.get(source.name, {})
        status = seen.get("last_status") or "never checked"
        if not source.enabled:
            status = "disabled"
        elif seen.get("failures"):
            status = f"{status} ({seen['failures']} failures)"
        record = {"name": source.name, "kind": source.kind, "interval": source.interval, "url": source.url,
                  "enabled": source.enabled, "official": source.official, "tags": list(source.tags),
                  "last_check": seen.get("last_check_at"), "status": seen.get("last_status"),
                  "failures": seen.get("failures", 0), "error": seen.get("last_error")}
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            rows.append([source.name, source.kind, _interval(source.interval), seen.get("last_check_at") or "-",
                         status, source.url])
    if not as_json:
        click.echo(render(["NAME", "KIND", "EVERY", "LAST CHECK", "STATUS", "URL"], rows, limits={0: 32, 4: 30, 5: 60}))
    if store is not None:
        store.close()


def _interval(seconds: float) -> str:
    from watcher.units import format_duration

    return format_duration(seconds)


@click.command()
@click.argument("name", required=False)
def kinds(name: str | None) -> None:
    """Describe each source kind and the options it accepts in sources.toml.

    \b
    Example:
        watcher kinds
        watcher kinds html
    """
    from watcher.config import Common
    from watcher.kinds import get_kind, kind_names

    names = [name] if name else kind_names()
    for kind_name in names:
        kind = get_kind(kind_name)
        if kind is None:
            raise click.UsageError(f"unknown kind {kind_name!r}; kinds: {', '.join(kind_names())}")
        click.echo(f"{kind_name}: {' '.join(kind.describe().split())}")
        for option, field in kind.Options.model_fields.items():
            required = " (required)" if field.is_required() else ""
            click.echo(f"  {option}{required}: {field.description or ''}")
        click.echo("")
    if not name:
        click.echo("every source: name, url, kind (required), and")
        for option, field in Common.model_fields.items():
            click.echo(f"  {option}: {field.description or ''}")
