"""`watcher status`: what an operator wants to see first: is it running, is any source failing, is mail flowing."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from watcher.cli.context import AppContext
from watcher.cli.table import render
from watcher.core.timestamps import display, parse


@click.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object with the daemon, every source, the expectations and the outbox.",
)
@click.pass_obj
def status(app: AppContext, as_json: bool) -> None:
    """Show whether the daemon runs, each source's last check, failures and next run, the expectations and the outbox.

    Next runs are written by `watcher run`, so they show only while a daemon runs on this --state.
    Each [[expect]] entry is met on DATE, due by DATE, or overdue by N days.
    Events that no route sent anywhere are counted at the end.

    \b
    Example:
        watcher status
        watcher status --json | jq '.sources[] | select(.failures > 0)'
    """
    from watcher.core.errors import ConfigError
    from watcher.daemon.statelock import holder

    pid = holder(app.state_dir)
    try:
        config = app.config()
    except ConfigError as error:
        config = None
        click.echo(f"warning: {app.sources_file} is invalid, showing the stored sources only:\n{error}", err=True)
    store = app.existing_store()
    rows = store.reports.source_rows() if store is not None else {}
    outbox = store.outbox.outbox_counts() if store is not None else {}
    last = store.outbox.last_delivery() if store is not None else None
    unrouted = store.outbox.unrouted_counts() if store is not None else {}
    now = store.now() if store is not None else None
    expectations = _expectations(config, store)
    if store is not None:
        store.close()
    picture = {
        "daemon": {"running": pid is not None, "pid": pid if pid and pid > 0 else None},
        "sources": _sources(config, rows, running=pid is not None),
        "expectations": expectations,
        "outbox": {name: outbox.get(name, 0) for name in sorted({"pending", "sending", "dead", "sent", *outbox})},
        "last_delivery": last,
        "unrouted": unrouted,
    }
    if as_json:
        click.echo(json.dumps(picture, ensure_ascii=False, indent=2))
        return
    click.echo(_render(picture, app, now, config.settings.timezone if config is not None else "UTC"))


def _expectations(config: Any, store: Any) -> list[dict[str, Any]]:
    """Where each [[expect]] entry stands now (read-only; the daemon or `watcher check` alerts)."""
    if config is None or not config.expectations:
        return []
    from watcher.core.errors import WatcherError
    from watcher.pipeline.expect import standings
    from watcher.pipeline.wiring import make_analyzer

    analyzer = make_analyzer(config, store) if store is not None else None
    try:
        return [outcome.view() for outcome in standings(config, store, analyzer)]
    except WatcherError as error:  # a broken history file: show the rest of the picture
        click.echo(f"warning: the expectations cannot be evaluated:\n{error}", err=True)
        return []


def _expectation_text(entry: dict[str, Any]) -> str:
    status = entry["status"]
    if not entry["enabled"]:
        return "disabled"
    if status == "met":
        text = f"met on {entry['met_on']}"
        return text + (f"; next due by {entry['due']}" if entry["when"].startswith("due every") else "")
    if status == "due":
        return f"due by {entry['due']}"
    days = entry["overdue_days"]
    late = f"{days} day{'s' if days != 1 else ''}"
    if status == "grace":
        return f"due {entry['due']}, {late} ago (grace time, no alert yet)"
    alerted = f"; alerted {entry['alerted_at']}" if entry["alerted_at"] else ""
    return f"overdue by {late} (due {entry['due']}){alerted}"


def _sources(config: Any, rows: dict[str, dict[str, Any]], running: bool) -> list[dict[str, Any]]:
    """Every source of sources.toml, then stored ones it no longer names; without a valid file, the stored ones."""
    listed = list(config.sources) if config is not None else []
    names = [source.name for source in listed] + sorted(set(rows) - {source.name for source in listed})
    enabled = {source.name: source.enabled for source in listed}
    out = []
    for name in names:
        row = rows.get(name, {})
        known = config is not None
        out.append(
            {
                "name": name,
                "enabled": enabled.get(name, False) if known else None,  # None: sources.toml could not be read
                "in_config": name in enabled if known else None,
                "last_check": row.get("last_check_at"),
                "result": row.get("last_status"),
                "error": row.get("last_error"),
                "failures": row.get("failures", 0),
                "broken_since": row.get("broken_since"),
                "last_success": row.get("last_success_at"),
                "next_run": row.get("next_run_at") if running and enabled.get(name, not known) else None,
            }
        )
    return out


def _render(picture: dict[str, Any], app: AppContext, now: str | None, zone: str) -> str:
    daemon = picture["daemon"]
    lines = []
    if daemon["running"]:
        lines.append(f"daemon: running (pid {daemon['pid'] or '?'}) on {app.state_dir}")
    else:
        lines.append(f"daemon: not running on {app.state_dir}")
    if now is None:
        lines.append(f"no state in {app.state_dir} yet: run `watcher run` or `watcher check` first")
    rows = []
    for source in picture["sources"]:
        if source["in_config"] is False:
            result = "removed from sources.toml"
        elif source["enabled"] is False:
            result = "disabled"
        else:
            result = source["result"] or "never checked"
            if source["error"]:
                result += f": {source['error']}"
        rows.append(
            [
                source["name"],
                _when(source["last_check"], now, zone),
                result,
                source["failures"] or "",
                _when(source["next_run"], now, zone),
            ]
        )
    lines += ["", render(["SOURCE", "LAST CHECK", "RESULT", "FAILURES", "NEXT RUN"], rows, limits={0: 32, 2: 60}), ""]
    if picture["expectations"]:
        table = [[entry["name"], _expectation_text(entry), entry["when"]] for entry in picture["expectations"]]
        lines += [render(["EXPECTATION", "STATUS", "WHEN"], table, limits={0: 32, 1: 70}), ""]
    outbox = picture["outbox"]
    others = ", ".join(f"{count} {status}" for status, count in outbox.items() if status not in ("pending", "dead"))
    lines.append(f"outbox: {outbox['pending']} pending, {outbox['dead']} dead" + (f", {others}" if others else ""))
    last = picture["last_delivery"]
    if last:
        title = f": {last['title']}" if last.get("title") else ""
        lines.append(f"last delivery: {_when(last['sent_at'], now, zone)} to {last['tag']}{title}")
    else:
        lines.append("last delivery: none yet")
    unrouted = picture["unrouted"]
    if unrouted:
        by_label = ", ".join(f"{label} {count}" for label, count in sorted(unrouted.items()))
        lines.append(f"unrouted events (kept, sent nowhere): {sum(unrouted.values())} ({by_label})")
    return "\n".join(lines)


def _when(stamp: str | None, now: str | None, zone: str = "UTC") -> str:
    """`2026-11-29 20:01 UTC (3m ago)` or `(in 29m)`, in the display zone; `-` for none."""
    if not stamp:
        return "-"
    if not now:
        return display(stamp, zone)
    seconds = (_parse(stamp) - _parse(now)).total_seconds()
    return f"{display(stamp, zone)} ({_ago(seconds)})"


def _ago(seconds: float) -> str:
    size = abs(seconds)
    for unit, length in (("d", 86400), ("h", 3600), ("m", 60)):
        if size >= length:
            text = f"{int(size // length)}{unit}"
            break
    else:
        text = f"{int(size)}s"
    return f"in {text}" if seconds > 0 else f"{text} ago"


def _parse(stamp: str) -> datetime:
    return parse(stamp).replace(tzinfo=None)
