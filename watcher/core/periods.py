"""`--since` and `since=` values: a date, a date-time or an age, read the same way by the CLI and the web view."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from watcher.core.timestamps import iso, shift, zone

_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")
_PATTERNS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ")


def since_stamp(value: str, now_stamp: str, timezone: str = "UTC") -> str:
    """A stored UTC stamp for a date (2025-10-09) or a date-time (2025-10-09T08:00) in `timezone` (a trailing
    Z means UTC), or an age (24h, 7d, 2w).

    Raises ValueError with the accepted forms.
    """
    value = value.strip()
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        delta = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]
        return shift(now_stamp, -delta.total_seconds())
    for pattern in _PATTERNS:
        try:
            moment = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return iso(moment.replace(tzinfo=zone("UTC" if pattern.endswith("Z") else timezone)))
    raise ValueError(f"{value!r}: use a date (2025-10-09), a date-time (2025-10-09T08:00) or an age (24h, 7d)")
