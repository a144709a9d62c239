"""Dates as the sources write them, turned into ISO strings.

Ministry lists write `2025-10-09`, `[2025-10-09]`, `2025年10月9日` or
`2025/10/09 10:00`; US and company pages write `Oct 9, 2025` or `9 October 2025`.
"""

from __future__ import annotations

import re
from datetime import date, datetime

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
_TIME = r"(?:[ T]+(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?" + _TIME), "ymd"),
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)" + _TIME), "ymd"),
    (re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)" + _TIME, re.IGNORECASE), "mdy"),
    (re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(\d{4})(?!\d)" + _TIME, re.IGNORECASE), "dmy"),
    # 07/10/2025 06:30:00 on US company IR platforms: month first unless the first number cannot be a month
    (re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)" + _TIME), "us"),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), "ymd"),  # 20251009 in URLs and ids
]


def parse_date(text: str | None) -> str | None:
    """The first date found in `text` as `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM` when a time follows), else None."""
    if not text:
        return None
    for pattern, order in _PATTERNS:
        for match in pattern.finditer(text):
            found = _build(match.groups(), order)
            if found:
                return found
    return None


def _build(groups: tuple[str | None, ...], order: str) -> str | None:
    if order == "ymd":
        year, month, day = groups[0], groups[1], groups[2]
    elif order == "us":
        first, second, year = groups[0], groups[1], groups[2]
        month, day = (second, first) if int(first or 0) > 12 else (first, second)
    elif order == "mdy":
        month, day, year = groups[0], groups[1], groups[2]
    else:
        day, month, year = groups[0], groups[1], groups[2]
    hour, minute = (groups[3], groups[4]) if len(groups) > 4 else (None, None)
    try:
        month_number = int(month) if month and month.isdigit() else _MONTHS[(month or "").lower().rstrip(".")]
        found = date(int(year or 0), month_number, int(day or 0))
    except (KeyError, ValueError):
        return None
    if not 1990 <= found.year <= 2100:
        return None
    if hour is not None and minute is not None and int(hour) < 24 and int(minute) < 60:
        return datetime(found.year, found.month, found.day, int(hour), int(minute)).strftime("%Y-%m-%dT%H:%M")
    return found.isoformat()
