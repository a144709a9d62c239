"""Stored instants: sortable UTC strings such as 2026-11-29T19:46:09Z, written and read here only.

Every table keeps its times in this one form so SQL can compare them as text;
`parse` reads them back as aware UTC datetimes (fromisoformat: strptime is
about ten times slower on the `watcher status` path).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A datetime (naive ones are taken as UTC) as a stored stamp."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


def parse(stamp: str) -> datetime:
    """A stored stamp as an aware UTC datetime."""
    return datetime.fromisoformat(stamp.removesuffix("Z")).replace(tzinfo=UTC)


def shift(stamp: str, seconds: float) -> str:
    """A stored stamp moved by `seconds` (negative: earlier)."""
    return iso(parse(stamp) + timedelta(seconds=seconds))


def epoch(stamp: str) -> float:
    """A stored stamp as Unix seconds."""
    return parse(stamp).timestamp()
