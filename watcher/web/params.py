"""The filters of `/events`, `/api/events`, `/events.csv` and the Atom feed, read from a query string.

One reading for every list, so a feed or an export holds exactly the events the page shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from watcher.core.periods import since_stamp
from watcher.store.views import EventQuery

FILTERS = ("label", "severity", "source", "kind", "since", "q")
MAX_TEXT = 200  # characters of a search: enough for a phrase, not a denial of service


class BadFilter(ValueError):
    """A filter value the reader must correct (answered with 400 and the message)."""


def event_query(args: Any, now_stamp: str, *, limit: int, max_limit: int) -> EventQuery:
    """An EventQuery from request arguments (a werkzeug MultiDict or a plain mapping of lists)."""
    values = {name: _all(args, name) for name in ("label", "severity", "source", "kind")}
    since_text = _one(args, "since")
    try:
        since = since_stamp(since_text, now_stamp) if since_text else None
    except ValueError as error:
        raise BadFilter(f"since: {error}") from None
    text = _one(args, "q")
    if len(text) > MAX_TEXT:
        raise BadFilter(f"q: at most {MAX_TEXT} characters")
    before = _integer(args, "before", None, 1, None)
    count = _integer(args, "limit", limit, 1, max_limit)
    return EventQuery(
        labels=tuple(values["label"]),
        severities=tuple(values["severity"]),
        sources=tuple(values["source"]),
        kinds=tuple(values["kind"]),
        since=since,
        text=text,
        before=before,
        limit=count if count is not None else limit,
    )


def filter_args(args: Any) -> list[tuple[str, str]]:
    """The filter arguments as given (without paging), to carry into links, feeds and exports."""
    pairs = []
    for name in FILTERS:
        pairs += [(name, value) for value in _all(args, name)]
    return pairs


def link(path: str, pairs: list[tuple[str, str]], **extra: Any) -> str:
    """`path?filters&extra` (extra values of None are left out)."""
    query = [*pairs, *((key, str(value)) for key, value in extra.items() if value is not None)]
    return path + ("?" + urlencode(query) if query else "")


def without_paging(query: EventQuery, limit: int) -> EventQuery:
    return replace(query, before=None, limit=limit)


def _all(args: Any, name: str) -> list[str]:
    if hasattr(args, "getlist"):
        raw = args.getlist(name)
    else:
        value = args.get(name, []) if isinstance(args, Mapping) else []
        raw = value if isinstance(value, list) else [value]
    return [value.strip() for value in raw if value and value.strip()]


def _one(args: Any, name: str) -> str:
    values = _all(args, name)
    return values[-1] if values else ""


def _integer(args: Any, name: str, default: int | None, low: int, high: int | None) -> int | None:
    text = _one(args, name)
    if not text:
        return default
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        bound = f"{low}..{high}" if high is not None else f"{low} or more"
        raise BadFilter(f"{name}: a whole number {bound}")
    return int(text)
