"""Display widths of text on terminals and in chat: a CJK character takes two columns.

Used wherever text is cut to fit (tables, alert summaries, demo cards), so Chinese
and English are measured alike.
"""

from __future__ import annotations

import unicodedata


def char_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def width(text: str) -> int:
    """Columns `text` takes."""
    if text.isascii():  # most cells of a table: no need to look at each character
        return len(text)
    return sum(char_width(char) for char in text)


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` columns, with an ellipsis when it was cut."""
    if width(text) <= limit:
        return text
    out, used = [], 0
    for char in text:
        used += char_width(char)
        if used > limit - 1:
            break
        out.append(char)
    return "".join(out).rstrip() + "…"
