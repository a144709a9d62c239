"""Stored instants: sortable UTC strings such as 2026-11-29T19:46:09Z, written and read here only.

Every table keeps its times in this one form so SQL can compare them as text;
`parse` reads them back as aware UTC datetimes (fromisoformat: strptime is
about ten times slower on the `watcher status` path). People see them through
`display`, in the `[settings] timezone` of sources.toml.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAIVE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2})?$")


def zone(name: str) -> tzinfo:
    """The IANA time zone `name` ("UTC", "Europe/Berlin"); ValueError naming it when unknown."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'UTC', 'Europe/Berlin'") from None


def display(value: str | None, timezone: str | tzinfo = "UTC") -> str:
    """A stored date or instant as people read it: an instant in the display zone with the zone's name
    (`2025-07-16 05:30 CEST`); a date as it is, since a date has no zone; "" for none.

    A date-time stored without a zone by an older watcher is shown as written, with no zone claimed.
    """
    if not value:
        return ""
    if _DATE.match(value):
        return value
    naive = _NAIVE.match(value)
    if naive:
        return f"{naive.group(1)} {naive.group(2)}"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    local = moment.astimezone(zone(timezone) if isinstance(timezone, str) else timezone)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or local.strftime("%z"))
