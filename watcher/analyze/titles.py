"""What a title is made of, before anyone reads it: the outlet's name at its end, and its script."""

from __future__ import annotations

import re
import unicodedata

# " - Reuters", " | Mining.com", "——新华网": the outlet's name is not part of the story
OUTLET_SUFFIX = re.compile(r"(?:\s+[-|–—]{1,2}\s+|\s*——\s*|\s*_\s*)[^-|–—_]{2,40}$")
MIN_FINGERPRINT = 12
_FOREIGN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_LETTER = re.compile(r"[A-Za-z]")


def split_outlet(title: str) -> tuple[str, str]:
    """("Apple signs $500m deal", "Reuters") from "Apple signs $500m deal - Reuters"; the outlet is "" if none."""
    text = unicodedata.normalize("NFKC", title or "").strip()
    match = OUTLET_SUFFIX.search(text)
    if match is None or len(text[: match.start()]) < MIN_FINGERPRINT:
        return text, ""
    outlet = re.sub(r"^[\s\-|–—_]+", "", match.group(0)).strip()
    return text[: match.start()].rstrip(), outlet


def is_english(title: str) -> bool:
    """Whether a reader of English can read the title: no Chinese, Japanese or Korean in it (a name or two
    in Latin letters inside a Chinese title does not make it English)."""
    foreign = len(_FOREIGN.findall(title or ""))
    return foreign == 0 or (foreign <= 2 and len(_LETTER.findall(title)) >= 20)
