"""How stored values are shown: the headline, times in the reader's zone, safe links and masked errors.

Kept in one place so every page, feed and export shows an event the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, tzinfo
from typing import Any

from watcher.core.timestamps import display, parse, zone


def headline(event: dict[str, Any]) -> tuple[str, str | None]:
    """(what to show first, the original title beneath it or None).

    An English headline, when the event has one (issue 12 adds it), comes first with the original title
    beneath; otherwise the title alone.
    """
    title = event.get("title") or ""
    english = event.get("headline") or event.get("title_en")
    if english and english.strip() != title.strip():
        return english, title
    return title, None


def reader_zone(name: str | None) -> tzinfo:
    """The zone times are shown in (an IANA name such as `Asia/Shanghai`; UTC when none is given).

    Raises ValueError naming a zone the zone database does not know.
    """
    return zone(name or "UTC")


def settings_zone(settings: Any) -> str | None:
    """The `[settings] timezone` of sources.toml."""
    return settings.timezone or None


def local_time(stamp: str | None, reader: tzinfo) -> str:
    """A stored UTC stamp as `2026-12-08 10:05 CST` in the reader's zone ('' for none)."""
    return display(stamp, reader)


def published_date(value: str | None) -> str:
    """A source's own publication date as it gave it (a date, or a date and a time without a zone)."""
    return (value or "").replace("T", " ")


def utc_datetime(stamp: str):
    """A stored stamp as an aware UTC datetime (for feeds)."""
    return parse(stamp).astimezone(UTC)


_SAFE_SCHEMES = ("http://", "https://")


def safe_url(url: str | None) -> str | None:
    """A link a page may carry: http(s) only, so a source's `javascript:` or `data:` URL is shown as text."""
    if url and url.strip().lower().startswith(_SAFE_SCHEMES):
        return url.strip()
    return None


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_SECRET_QUERY = re.compile(r"(?i)([?&](?:token|key|apikey|api_key|password|pass|secret|sig|signature)=)[^&\s:]+")


def mask(text: str | None) -> str:
    """Error text as shown on a page: credentials in URLs (`user:pass@`, `?token=`) replaced by ***.

    The sender records masked URLs already; this keeps a stray secret in an exception's message off the page too.
    """
    if not text:
        return ""
    return _SECRET_QUERY.sub(r"\1***", _USERINFO.sub(r"\1***@", text))


_FACT_NAMES = {
    "mining_tonnes": "Mining quota (t)",
    "smelting_tonnes": "Smelting quota (t)",
    "year": "Year",
    "batch": "Batch",
    "doc_no": "Document",
    "doc_type": "Kind of document",
    "elements": "Elements",
    "parties": "Parties",
    "effective_date": "Effective",
    "until_date": "Until",
    "amount_usd": "Amount (USD)",
    "capacity_tonnes": "Capacity (t)",
}
_SKIP = {"tonnages", "money", "dates", "doc_numbers", "amounts_usd", "prices", "deltas"}


def fact_rows(facts: dict[str, Any]) -> list[tuple[str, str]]:
    """The facts a reader acts on as (name, value) rows, the main ones first, then any other key as it is."""
    rows = []
    ordered = [key for key in _FACT_NAMES if key in facts] + sorted(k for k in facts if k not in _FACT_NAMES)
    for key in ordered:
        if key in _SKIP:
            continue
        value = str(facts[key]) if key in ("year", "batch") else _value(facts[key])
        rows.append((_FACT_NAMES.get(key, key.replace("_", " ").capitalize()), value))
    for name, delta in (facts.get("deltas") or {}).items():
        if isinstance(delta, dict) and "change" in delta:
            rows.append(
                (
                    f"Change in {_FACT_NAMES.get(name, name)}",
                    f"{delta['change']:+,} ({delta.get('pct', 0):+.1f}%) against {delta.get('against', '?')}",
                )
            )
    return rows


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_value(item)}" for key, item in value.items())
    return str(value)
