"""`watcher check`: one pass over the sources, printing what is new or changed."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import click

from watcher.cli.context import AppContext
from watcher.cli.table import plural, render
from watcher.core.logs import StatusLine, status_line
from watcher.core.models import CheckResult
from watcher.core.textwidth import shorten
from watcher.core.timestamps import display


@click.command()
@click.option(
    "--source",
    "-s",
    "names",
    multiple=True,
    metavar="NAME",
    help="Check only this source (repeatable); named sources are checked even if disabled.",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Sources checked at the same time (per-host spacing still applies).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object per change (with its label, severity, matched terms and facts) instead of a "
    "table; stdout holds JSON only, console:// alerts go to stderr.",
)
@click.option(
    "--no-notify",
    is_flag=True,
    help="Record changes and queue their alerts in the outbox, but do not deliver them now.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal with 5+ sources).")
@click.pass_obj
def check(
    app: AppContext, names: tuple[str, ...], workers: int, as_json: bool, no_notify: bool, progress: bool | None
) -> None:
    """Check sources once: fetch, extract, diff against the state, record and print changes.

    The first check of a source records a silent baseline. The [[expect]] entries are
    evaluated after the checks: an overdue notice is alerted (once per `repeat`), and one
    that arrived closes its alert. The exit code is non-zero only for an invalid
    configuration: one source's failure never stops the others.

    \b
    Example:
        watcher check
        watcher check --source mofcom-policy-releases --json
    """
    from watcher.pipeline.check import run_checks
    from watcher.pipeline.wiring import build_pipeline

    config = app.config()
    sources = _select(config, names)
    store = app.store()
    # Alerts are routed into the outbox either way; without delivery, channels and templates are not needed.
    pipeline = build_pipeline(config, store, alerts_dir=app.alerts_dir, validate_alerts=not no_notify)
    show_progress = progress if progress is not None else (sys.stderr.isatty() and len(sources) >= 5 and not as_json)
    results: list[CheckResult] = []
    with status_line(sys.stderr) as line:
        bar = Progress(len(sources), line if show_progress else None)
        for result in run_checks(sources, pipeline, workers=workers):
            results.append(result)
            bar.advance(result.source)
            if as_json:
                for change in change_lines(result):
                    click.echo(json.dumps(change, ensure_ascii=False))
    order = {source.name: index for index, source in enumerate(sources)}
    results.sort(key=lambda result: order[result.source])
    if not as_json:
        click.echo(render_results(results, config.settings.timezone))
    _expectations(config, pipeline, quiet=as_json)
    if not no_notify and pipeline.deliver is not None:
        if as_json:  # stdout is JSON only: console:// alert cards (and anything else a channel prints) go to stderr
            with contextlib.redirect_stdout(sys.stderr):
                pipeline.deliver()
        else:
            report = pipeline.deliver()
            if report:
                click.echo(report)
    store.close()


class Progress:
    """`checking [#####.....]  5/16  mofcom-announcements`: sources done of all, and the one just checked.

    Drawn on a StatusLine, so the one log line per failed check prints above it instead of through it.
    """

    WIDTH = 24

    def __init__(self, total: int, line: StatusLine | None) -> None:
        self.total, self.done, self.line = total, 0, line
        self._draw("")

    def advance(self, source: str) -> None:
        self.done += 1
        self._draw(source)

    def _draw(self, source: str) -> None:
        if self.line is None:
            return
        filled = self.WIDTH * self.done // max(1, self.total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.line.show(f"checking [{bar}] {self.done}/{self.total}  {shorten(source, 40)}".rstrip())


def _expectations(config: Any, pipeline: Any, quiet: bool) -> None:
    """Evaluate the [[expect]] entries after the checks, so a notice found now counts at once."""
    from watcher.pipeline.expect import evaluate_expectations

    for outcome in evaluate_expectations(config, pipeline):
        if outcome.event is not None and not quiet:
            click.echo(f"expectation {outcome.expect.name}: {outcome.action}: {outcome.event['title']}")


def _select(config: Any, names: tuple[str, ...]) -> list[Any]:
    if not names:
        return config.enabled()
    missing = [name for name in names if config.get(name) is None]
    if missing:
        known = ", ".join(source.name for source in config.sources) or "none"
        raise click.UsageError(f"no source named {', '.join(map(repr, missing))} in {config.path}; known: {known}")
    return [config.get(name) for name in dict.fromkeys(names)]


def change_lines(result: CheckResult) -> list[dict[str, Any]]:
    """One JSON-ready dict per change, with its classification when it has one."""
    events = {event["change_index"]: event for event in result.events if event.get("change_index") is not None}
    lines = []
    for index, change in enumerate(result.changes):
        item = change.item
        line: dict[str, Any] = {
            "source": result.source,
            "change": change.change,
            "id": item.id,
            "title": item.title,
            "url": item.url,
            "published": item.published,
        }
        if change.diff:
            line["diff"] = change.diff
        event = events.get(index)
        if event is not None:
            line.update(
                event_id=event["id"],
                label=event["label"],
                severity=event["severity"],
                headline=event.get("headline"),
                matched=event.get("matched", []),
                facts=event.get("facts", {}),
                merged=event.get("merged", False),
                upgraded=event.get("upgraded", False),
            )
        lines.append(line)
    return lines


def render_results(results: list[CheckResult], zone: str = "UTC") -> str:
    rows = []
    for result in results:
        status = result.status if not result.error else f"{result.status}: {result.error}"
        rows.append([result.source, status, result.count("new"), result.count("changed"), f"{result.duration:.2f}s"])
    out = [render(["SOURCE", "STATUS", "NEW", "CHANGED", "TIME"], rows, limits={0: 32, 1: 70})]
    changes = [
        (result, index, change)
        for result in results
        for index, change in enumerate(result.changes)
        if change.change != "removed"
    ]
    if changes:
        out.append("")
        for result, index, change in changes:
            event = next((event for event in result.events if event.get("change_index") == index), None)
            label = f" [{event['label']} · {event['severity']}]" if event else ""
            date = f" ({display(change.item.published, zone)})" if change.item.published else ""
            out.append(f"{'+' if change.change == 'new' else '~'} {result.source}{label}: {change.item.title}{date}")
            if change.item.url:
                out.append(f"    {change.item.url}")
    failed = sum(1 for result in results if result.status in ("error", "broken"))
    total_new = sum(result.count("new") for result in results)
    total_changed = sum(result.count("changed") for result in results)
    out.append("")
    out.append(f"{plural(len(results), 'source')} checked: {total_new} new, {total_changed} changed, {failed} failed")
    return "\n".join(out)
