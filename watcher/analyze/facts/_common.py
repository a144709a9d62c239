"""Shared pieces of fact extraction: numbers, tonnages, sentences and the vocabulary data files."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

# 135,000 | 135000 | 13.5 | 1,250.5 ; never the tail of a longer number or of a code like 1C902
NUM = r"(?<![\d.,A-Za-z])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"

ZH_MULT = {"万亿": 1e12, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3}
EN_MULT = {
    "trillion": 1e12,
    "tn": 1e12,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "million": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "m": 1e6,
    "thousand": 1e3,
    "k": 1e3,
}
ZH_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "首": 1}
EN_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}

TONNAGE = re.compile(
    r"(?P<num>" + NUM + r")\s*(?P<mult>万亿|亿|万|千|(?i:million|thousand|mn)\b)?\s*-?\s*"
    r"(?P<unit>公吨|吨|(?i:metric\s+tonnes?|metric\s+tons?|tonnes?|tons?|mtpa|ktpa|tpa|kt)|Mt|MT|mt|t)(?![A-Za-z])"
)
UNIT_MULT = {"kt": 1e3, "ktpa": 1e3, "mtpa": 1e6, "Mt": 1e6}
_SENTENCE_END = re.compile(r"[\n。;!?！？]|\.{3,}|…+|\.(?=\s+[A-Z\u4e00-\u9fff(\"“])|\.\s*$")


@dataclass(frozen=True, slots=True)
class Tonnage:
    value: int
    start: int
    end: int
    text: str
    capacity: bool = False


def to_number(text: str) -> float:
    return float(text.replace(",", ""))


def zh_int(text: str) -> int | None:
    """A small Chinese or Arabic integer: 三 -> 3, 十二 -> 12, 12 -> 12."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in ZH_DIGIT and ch != "十" for ch in text):
        return None
    if "十" in text:
        tens, _, units = text.partition("十")
        return (ZH_DIGIT.get(tens, 1) if tens else 1) * 10 + (ZH_DIGIT.get(units, 0) if units else 0)
    return ZH_DIGIT.get(text)


def phrases(words: list[str], plural: bool = False) -> str:
    """A regex alternation of phrases, longest first; Latin phrases match whole words, spaces loosely."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        body = re.escape(word).replace(r"\ ", r"\s+")
        if word[:1].isascii() and word[:1].isalnum():
            body = r"\b" + body
        if word[-1:].isascii() and word[-1:].isalnum():
            body += r"(?:s|es)?\b" if plural else r"\b"
        parts.append(body)
    return "(?:" + "|".join(parts) + ")" if parts else "(?!)"


@lru_cache(maxsize=8)
def data_file(name: str) -> dict[str, Any]:
    """A TOML file of watcher/data, read once."""
    return tomllib.loads(resources.files("watcher").joinpath("data", name).read_text(encoding="utf-8"))


def vocab() -> dict[str, Any]:
    return data_file("facts_vocab.toml")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: split at 。; ! ? ... … and at '. ' before a capital."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > start:
            spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


@lru_cache(maxsize=1)
def _capacity_rx() -> tuple[re.Pattern[str], re.Pattern[str]]:
    cap = vocab()["tonnage"]["capacity"]
    before = re.compile(phrases(cap["before"]) + r"[^.。;,，]{0,25}$", re.I)
    after = re.compile(r"^\s*(?:of\s+)?(?:\w+\s+){0,2}?" + phrases(cap["after"]), re.I)
    return before, after


DIGIT = re.compile(r"\d")


@lru_cache(maxsize=16)
def lowered(text: str) -> str:
    """text.lower(), computed once for the several extractors that read the same text."""
    return text.lower()


@lru_cache(maxsize=16)
def has_digit(text: str) -> bool:
    """Does the text hold a digit? Asked by several extractors about the same text, so memoised."""
    return any(d in text for d in "0123456789")


_UNIT_T = re.compile(r"\d\s?-?\s?[km]?t\b")


def find_tonnages(text: str) -> list[Tonnage]:
    """Every tonnage, in tonnes; a capacity (tpa, '10,000-tonne plant', 产能) is flagged, not dropped."""
    if not has_digit(text):
        return []
    low = lowered(text)
    if "吨" not in text and "ton" not in low and "tpa" not in low and not _UNIT_T.search(low):
        return []
    before_rx, after_rx = _capacity_rx()
    out = []
    for match in TONNAGE.finditer(text):
        value = to_number(match["num"])
        mult = match["mult"]
        if mult:
            value *= ZH_MULT.get(mult) or EN_MULT[mult.lower()]
        unit = match["unit"]
        value *= UNIT_MULT.get(unit) or (UNIT_MULT.get(unit.lower(), 1.0) if unit.lower() != "mt" else 1.0)
        prefix = text[max(0, match.start() - 2) : match.start()]
        if "$" in prefix or "/" in prefix:
            continue
        capacity = unit.lower().endswith("pa") or bool(
            before_rx.search(text[max(0, match.start() - 40) : match.start()])
            or after_rx.search(text[match.end() : match.end() + 40])
        )
        out.append(Tonnage(round(value), match.start(), match.end(), match.group(), capacity))
    return out


def window(text: str, start: int, end: int, size: int = 40) -> tuple[str, str]:
    """The text just before `start` and just after `end`."""
    return text[max(0, start - size) : start], text[end : end + size]
