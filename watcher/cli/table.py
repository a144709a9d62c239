"""Plain-text tables for terminals: fixed columns, long cells shortened with an ellipsis."""

from __future__ import annotations

from collections.abc import Sequence

from watcher.core.textwidth import shorten, width


def render(headers: Sequence[str], rows: Sequence[Sequence[object]], limits: dict[int, int] | None = None) -> str:
    """A table with a header line; `limits` caps the width of some columns (by index)."""
    limits = limits or {}
    cells = [
        [shorten("" if value is None else str(value), limits.get(i, 10_000)) for i, value in enumerate(row)]
        for row in rows
    ]
    widths = [width(header) for header in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))
    lines = ["  ".join(_pad(header, widths[i]) for i, header in enumerate(headers)).rstrip()]
    lines += ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    return "\n".join(lines)


def _pad(text: str, size: int) -> str:
    return text + " " * (size - width(text))


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 source`, `2 sources`: a count with its noun in the right number."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
