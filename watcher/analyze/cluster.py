"""Keys that say two changes tell the same story, so five outlets make one alert.

Two changes share an event when, within the store's window (3 days), they
share a key: the same normalised title, or the same primary document number
(`商务部公告2025年第61号`, `工信部联原〔2024〕25号`, a Federal Register number).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# " - Reuters", " | Mining.com", "——新华网": the outlet's name is not part of the story
_OUTLET_SUFFIX = re.compile(r"(?:\s+[-|–—]{1,2}\s+|\s*——\s*|\s*_\s*)[^-|–—_]{2,40}$")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_MIN_FINGERPRINT = 12


def fingerprint(title: str) -> str:
    """A title reduced to lowercase letters, digits and CJK characters, without the outlet's suffix."""
    text = unicodedata.normalize("NFKC", title or "").strip()
    stripped = _OUTLET_SUFFIX.sub("", text)
    if len(stripped) >= _MIN_FINGERPRINT:
        text = stripped
    return _NOT_WORD.sub("", _simplified(text).lower())


def cluster_keys(title: str, facts: dict[str, Any] | None = None) -> list[str]:
    keys = []
    printed = fingerprint(title)
    if len(printed) >= _MIN_FINGERPRINT:
        keys.append("title:" + printed[:120])
    doc_no = (facts or {}).get("doc_no")
    if isinstance(doc_no, str) and doc_no.strip():
        keys.append("doc:" + _NOT_WORD.sub("", _simplified(unicodedata.normalize("NFKC", doc_no))))
    return keys


def _simplified(text: str) -> str:
    from watcher.analyze.textnorm import normalize  # loaded with the first event, not at start-up

    return normalize(text)
