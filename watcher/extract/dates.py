"""Dates as the sources write them, turned into a stored date or a UTC instant.

Ministry lists write `2025-10-09`, `[2025-10-09]`, `2025年10月9日` or
`2025/10/09 10:00`; US and company pages write `Oct 9, 2025` or `9 October 2025`;
feeds and APIs write `Tue, 15 Jul 2025 23:30:00 -0400` or `2025-07-15T23:30:00.000Z`.

A value is one of two things, and never a time without its zone:
* an instant, when the text gives a time and its zone: stored in UTC with the zone written,
  `2025-07-16T03:30:00Z` (watcher.core.timestamps' stamp), so it sorts and converts correctly;
* a date, `YYYY-MM-DD`, as the page shows it, when the text gives no time, or a time without a
  zone (`2025/10/09 10:00` on a Beijing ministry page): the zone is unknown, so the time is dropped
  rather than passed off as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from watcher.core.timestamps import iso

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"), "ymd"),
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)", re.IGNORECASE), "mdy"),
    (re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(\d{4})(?!\d)", re.IGNORECASE), "dmy"),
    # 07/10/2025 06:30:00 on US company IR platforms: month first unless the first number cannot be a month
    (re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)"), "us"),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), "compact"),  # 20251009 in URLs and ids: never a time
]

# The time after a date, and its zone if one is written: `T23:30:00.000Z`, ` 23:30:00 -0400`,
# ` 10:00 PM EDT`, `T21:53:26-04:00`, ` 08:00 GMT+8`.
_TIME = re.compile(
    r"(?P<sep>T|,?\s*|\s*-\s*)(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
    r"(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?)?"
    r"(?P<zone>(?P<zsp>\s*)(?:Z(?![A-Za-z])|[+-]\d{2}:?\d{2}(?!\d)|(?:GMT|UTC|UT)(?:[+-]\d{1,2}(?::?\d{2})?)?"
    r"(?![A-Za-z])|[ECMP][SD]T(?![A-Za-z])))?"
)
# RFC 822 names for North American zones (what feeds use besides numeric offsets and GMT)
_NAMED = {"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}


def parse_date(text: str | None) -> str | None:
    """The first date found in `text`: a UTC instant `YYYY-MM-DDTHH:MM:SSZ` when a time and its zone
    follow it, else the date `YYYY-MM-DD`; None when there is none."""
    if not text:
        return None
    for pattern, order in _PATTERNS:
        for match in pattern.finditer(text):
            found = _day(match.groups(), order)
            if found is not None:
                instant = _instant(found, text, match.end()) if order != "compact" else None
                return instant or found.isoformat()
    return None


def _day(groups: tuple[str | None, ...], order: str) -> date | None:
    if order in ("ymd", "compact"):
        year, month, day = groups[0], groups[1], groups[2]
    elif order == "us":
        first, second, year = groups[0], groups[1], groups[2]
        month, day = (second, first) if int(first or 0) > 12 else (first, second)
    elif order == "mdy":
        month, day, year = groups[0], groups[1], groups[2]
    else:
        day, month, year = groups[0], groups[1], groups[2]
    try:
        month_number = int(month) if month and month.isdigit() else _MONTHS[(month or "").lower().rstrip(".")]
        found = date(int(year or 0), month_number, int(day or 0))
    except (KeyError, ValueError):
        return None
    return found if 1990 <= found.year <= 2100 else None


def _instant(day: date, text: str, end: int) -> str | None:
    """The UTC stamp of the time written after the date, or None when there is no time or no zone."""
    match = _TIME.match(text, end)
    if match is None or not match.group("zone"):
        return None
    zone = _offset(match.group("zone").strip(), match)
    hour, minute, second = int(match.group("h")), int(match.group("m")), int(match.group("s") or 0)
    if match.group("ampm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match.group("ampm").lower() == "p" else 0)
    if zone is None or hour > 23 or minute > 59 or second > 60:
        return None
    local = datetime(day.year, day.month, day.day, hour, minute, min(second, 59), tzinfo=zone)
    return iso(local)


def _offset(zone: str, match: re.Match[str]) -> timezone | None:
    if zone == "Z":
        return UTC
    if zone in _NAMED:
        return timezone(timedelta(hours=_NAMED[zone]))
    named = re.fullmatch(r"(?:GMT|UTC|UT)(?:([+-])(\d{1,2})(?::?(\d{2}))?)?", zone)
    sign: str | None
    if named:
        if named.group(1) is None:
            return UTC
        sign, hours, minutes = named.group(1), named.group(2), named.group(3) or "0"
    else:
        # `10:00-12:00` is a time range, not a zone: an ISO offset with a colon counts only when written
        # straight after the seconds or after a `T` date-time (2021-04-16T21:53:26-04:00)
        if ":" in zone and (match.group("zsp") or not (match.group("s") or match.group("sep") == "T")):
            return None
        sign, hours, minutes = zone[0], zone[1:3], zone[-2:]
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    if offset > timedelta(hours=14):
        return None
    return timezone(-offset if sign == "-" else offset)
