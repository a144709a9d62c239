"""Normalise the text of a change before rules and fact patterns read it.

Notices reach us through noisy mirrors: full-width digits, traditional
characters, pinyin glosses injected after characters (`工業(yè)`), and three
kinds of brackets around document years. Rules are written once, against
simplified Chinese and half-width ASCII, so every variant must be brought to
that form first - quickly, since every change of every source passes here.

Traditional -> simplified is a single-character `str.translate` table built
once, lazily, from OpenCC's `TSCharacters.txt` (Apache-2.0), which the
`opencc-python-reimplemented` package ships as data. Character-level mapping
ignores phrase-level exceptions (a few characters are ambiguous), which is
harmless for matching rules and numbers.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from importlib import resources

log = logging.getLogger(__name__)

# A pinyin gloss right after a CJK character: 工業(yè), 指標(biāo). NFKC has already
# turned full-width parentheses into ASCII ones when this runs.
_PINYIN_GLOSS = re.compile(r"(?<=[\u3400-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]{1,6}\)")
_SPACES = re.compile(r"\s+")
# Bracket variants seen around document years (工信部联原﹝2022﹞90号); NFKC would turn
# the full-width square ones into ASCII, so they are mapped first, to the form rules use.
_BRACKETS = str.maketrans(
    {"﹝": "〔", "﹞": "〕", "［": "〔", "］": "〕", "〘": "〔", "〙": "〕", "⦗": "〔", "⦘": "〕"}
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Build the traditional->simplified character table once, from OpenCC's dictionary data."""
    table: dict[int, str] = {}
    try:
        data = resources.files("opencc").joinpath("dictionary/TSCharacters.txt").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError) as error:  # pragma: no cover - dependency missing
        log.warning("traditional->simplified table unavailable (%s); Chinese text is left as is", error)
        return table
    for line in data.splitlines():
        parts = line.split("\t")
        if len(parts) != 2 or len(parts[0]) != 1:
            continue
        target = parts[1].split(" ")[0]
        if len(target) == 1 and target != parts[0]:
            table[ord(parts[0])] = target
    return table


def normalize_pair(text: str) -> tuple[str, str]:
    """Return (display, normalised): the same text before and after traditional -> simplified.

    Both have the same length (the conversion maps one character to one), so
    a span found in the normalised text can be shown as the source wrote it.
    """
    if not text:
        return "", ""
    if text.isascii():
        if "  " in text or "\n" in text or "\t" in text or "\r" in text:
            text = _SPACES.sub(" ", text)
        text = text.strip()
        return text, text
    text = unicodedata.normalize("NFKC", text.translate(_BRACKETS))
    has_cjk = _CJK.search(text) is not None
    if has_cjk and "(" in text:
        text = _PINYIN_GLOSS.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return text, (text.translate(_t2s_table()) if has_cjk else text)


def normalize(text: str) -> str:
    """Return `text` in the one form that rules and fact patterns are written for.

    NFKC (full-width -> half-width), bracket variants -> 〔〕, pinyin glosses
    after CJK characters removed, traditional -> simplified, whitespace
    collapsed to single spaces. Case is kept: party names need it.
    """
    return normalize_pair(text)[1]
