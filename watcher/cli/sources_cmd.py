"""`watcher sources` and `watcher kinds`: what is watched, and how a watch can be written."""

from __future__ import annotations

import json
import re

import click

from watcher.cli.context import AppContext
from watcher.cli.table import plural, render
from watcher.core.timestamps import display


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
    if validate_only:
        _validate(app, as_json)
        return
    config = app.config()
    store = app.existing_store()
    state = store.reports.source_rows() if store is not None else {}
    rows = []
    for source in config.sources:
        seen = state.get(source.name, {})
        status = seen.get("last_status") or "never checked"
        if not source.enabled:
            status = "disabled"
        elif seen.get("failures"):
            status = f"{status} ({plural(seen['failures'], 'failure')})"
        record = {
            "name": source.name,
            "kind": source.kind,
            "interval": source.interval,
            "url": source.url,
            "enabled": source.enabled,
            "official": source.official,
            "tags": list(source.tags),
            "last_check": seen.get("last_check_at"),
            "status": seen.get("last_status"),
            "failures": seen.get("failures", 0),
            "error": seen.get("last_error"),
        }
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            rows.append(
                [
                    source.name,
                    source.kind,
                    _interval(source.interval),
                    display(seen.get("last_check_at"), config.settings.timezone) or "-",
                    status,
                    source.url,
                ]
            )
    if not as_json:
        click.echo(render(["NAME", "KIND", "EVERY", "LAST CHECK", "STATUS", "URL"], rows, limits={0: 32, 4: 30, 5: 60}))
    if store is not None:
        store.close()


def _validate(app: AppContext, as_json: bool) -> None:
    """`--check`: a line (or, with --json, one object) saying whether sources.toml is valid; exit 2 if not."""
    from watcher.core.errors import ConfigError

    try:
        config = app.config()
    except ConfigError as error:
        if not as_json:
            raise
        report = {"file": str(app.sources_file), "valid": False, "problems": error.problems}
        click.echo(json.dumps(report, ensure_ascii=False))
        raise SystemExit(2) from None
    enabled = len(config.enabled())
    if as_json:
        report = {"file": str(config.path), "valid": True, "sources": len(config.sources), "enabled": enabled}
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        click.echo(f"{config.path}: OK, {plural(len(config.sources), 'source')} ({enabled} enabled)")


_TRY_ARGUMENTS = {
    "url": "URL",
    "encoding": "--encoding",
    "headers": "--header",
    "item": "--item",
    "items": "--item",
    "title": "--title",
    "link": "--link",
    "date": "--date",
    "json_path": "--json-path",
}
_TRY_PROBLEM = re.compile(r"^.*?\[\[source\]\] 'try' \(entry 1\): (?:key '([^'.]+)[^']*': )?")


def _try_arguments(problems: list[str]) -> str:
    """`sources try` checks its arguments as a [[source]] entry; say which argument is wrong, not which key."""
    out = []
    for problem in problems:
        match = _TRY_PROBLEM.match(problem)
        if match is None:
            out.append(problem)
            continue
        key = match.group(1)
        rest = problem[match.end() :]
        out.append(f"{_TRY_ARGUMENTS.get(key, key)}: {rest}" if key else rest)
    return "\n".join(out)


def _interval(seconds: float) -> str:
    from watcher.core.units import format_duration

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
    from watcher.config.sources import Common
    from watcher.extract.registry import get_kind, kind_names

    names = [name] if name else kind_names()
    for kind_name in names:
        kind = get_kind(kind_name)
        if kind is None:
            raise click.UsageError(f"unknown kind {kind_name!r}; kinds: {', '.join(kind_names())}")
        click.echo("\n".join(kind.reference()) + "\n")
    if not name:
        click.echo("every source: name, url, kind (required), and")
        for option, field in Common.model_fields.items():
            click.echo(f"  {option}: {field.description or ''}")


@sources.command("try")
@click.argument("url")
@click.option(
    "--kind",
    metavar="KIND",
    help="Read the page only as this kind (see `watcher kinds`); default: every kind that fits the response.",
)
@click.option(
    "--item",
    metavar="SELECTOR",
    help="html: CSS selector of one entry (json: JMESPath of the list); without it, item selectors are suggested.",
)
@click.option("--title", metavar="S", help="Title selector inside an entry (CSS for html, JMESPath for json).")
@click.option("--link", metavar="S", help="Link selector inside an entry (CSS for html, JMESPath for json).")
@click.option("--date", metavar="S", help="Date selector inside an entry (CSS for html, JMESPath for json).")
@click.option("--json-path", metavar="P", help="The response is JSON and this JMESPath holds the HTML (data.html).")
@click.option("--encoding", metavar="E", help="Force this charset instead of detecting it.")
@click.option("--header", "headers", multiple=True, metavar="'K: V'", help="Extra request header (repeatable).")
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Items shown per kind and per suggestion.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.pass_obj
def try_source(
    app: AppContext,
    url: str,
    kind: str | None,
    item: str | None,
    title: str | None,
    link: str | None,
    date: str | None,
    json_path: str | None,
    encoding: str | None,
    headers: tuple[str, ...],
    limit: int,
    as_json: bool,
) -> None:
    """Fetch URL once and show what each kind would extract, then a [[source]] entry to paste.

    Prints the final URL, HTTP status, content type and the charset with how it was
    decided; for an html list without --item, the item selectors that cover the most
    rows with one link and a date. Nothing is written to the state.

    \b
    Example:
        watcher sources try https://www.mnr.gov.cn/gk/tzgg/
        watcher sources try 'https://www.mofcom.gov.cn/api-gateway/…' --json-path data.html
        watcher sources try https://www.mnr.gov.cn/gk/tzgg/ --item 'ul.ky_open_list > li' --date span
    """
    from watcher.authoring.probe import TryOptions, probe, render_text
    from watcher.core.errors import ConfigError
    from watcher.extract.registry import kind_names

    if kind is not None and kind not in kind_names():
        raise click.BadParameter(f"unknown kind {kind!r}; kinds: {', '.join(kind_names())}", param_hint="--kind")
    parsed: dict[str, str] = {}
    for header in headers:
        key, sep, value = header.partition(":")
        if not sep or not key.strip():
            raise click.BadParameter(f"{header!r} is not 'Name: value'", param_hint="--header")
        parsed[key.strip()] = value.strip()
    try:
        user_agent = app.config().settings.user_agent
    except ConfigError:  # trying a URL must not need a valid sources.toml
        user_agent = None
    options = TryOptions(
        kind=kind,
        item=item,
        title=title,
        link=link,
        date=date,
        json_path=json_path,
        encoding=encoding,
        headers=parsed,
        limit=limit,
    )
    try:
        result = probe(url, options, user_agent=user_agent)
    except ConfigError as error:  # the arguments, read as a [[source]] entry, are invalid
        raise click.UsageError(_try_arguments(error.problems)) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        click.echo(render_text(result))
