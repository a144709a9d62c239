"""Human units in configuration: durations ("90s", "30m", "6h") and sizes ("10MB")."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def parse_duration(value: str | int | float) -> float:
    """Seconds from a number of seconds or a string such as "90s", "30m", "6h", "1d"."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '90s', '30m', '6h' or '1d'")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration: use e.g. '90s', '30m', '6h' or '1d'")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_size(value: str | int) -> int:
    """Bytes from a number or a string such as "10MB", "512KiB"."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as '10MB'")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("a size must be positive")
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size: use e.g. '10MB', '512KB' or a number of bytes")
    unit = (match.group(2) or "b").lower()
    return int(float(match.group(1)) * _SIZE_UNITS[unit])


def format_duration(seconds: float) -> str:
    """The shortest exact form of a duration, for tables ("30m", "6h", "90s")."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds:g}s"


_CURRENCY_SYMBOLS = {
    "USD": "US$",
    "AUD": "A$",
    "CAD": "C$",
    "EUR": "€",
    "GBP": "£",
    "CNY": "¥",
    "JPY": "JP¥",
    "HKD": "HK$",
}


def format_money(amount: object, currency: str | None = "USD") -> str:
    """An amount as a reader says it: "US$500 million", "€81.25 million", "A$1.65 billion"."""
    if not isinstance(amount, int | float) or isinstance(amount, bool):
        return str(amount)
    symbol = _CURRENCY_SYMBOLS.get(currency or "USD", f"{currency} ")
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if amount >= size:
            text = f"{amount / size:,.2f}".rstrip("0").rstrip(".")
            return f"{symbol}{text} {word}"
    return f"{symbol}{amount:,.0f}"


def format_tonnes(value: object) -> str:
    """Tonnes with thousands separators: "135,000 t"."""
    return f"{int(value):,} t" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
