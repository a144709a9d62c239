"""Money: amounts with their currency, qualifier, USD equivalent and what they pay for.

No exchange rates are applied (they change, and there is no network): an
amount has `amount_usd` only when it is in USD or the text gives the USD
equivalent ("AUD 400 million ($257.2m)"). Prices per tonne, company results
and insider share sales are kept in the list with their `kind` but never
become the deal's amount.

Patterns run on the lower-cased text without IGNORECASE and context words are
checked with str.endswith/startswith on tuples: this runs on every change.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Any

from watcher.analyze.facts._common import EN_MULT, ZH_MULT, lowered, to_number, vocab

_PREFIX = {
    "us$": "USD",
    "u.s.$": "USD",
    "usd": "USD",
    "usd$": "USD",
    "$": "USD",
    "a$": "AUD",
    "au$": "AUD",
    "aud": "AUD",
    "aud$": "AUD",
    "c$": "CAD",
    "ca$": "CAD",
    "cad": "CAD",
    "cad$": "CAD",
    "hk$": "HKD",
    "hkd": "HKD",
    "nz$": "NZD",
    "s$": "SGD",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "¥": "JPY",
    "jpy": "JPY",
    "cny": "CNY",
    "rmb": "CNY",
    "人民币": "CNY",
}
_SUFFIX = {
    "euro": "EUR",
    "euros": "EUR",
    "us dollars": "USD",
    "u.s. dollars": "USD",
    "dollars": "USD",
    "australian dollars": "AUD",
    "canadian dollars": "CAD",
    "yuan": "CNY",
    "renminbi": "CNY",
    "yen": "JPY",
    "pounds": "GBP",
    "won": "KRW",
    "美元": "USD",
    "元人民币": "CNY",
    "元": "CNY",
    "欧元": "EUR",
    "澳元": "AUD",
    "港元": "HKD",
    "日元": "JPY",
    "英镑": "GBP",
    "加元": "CAD",
    "韩元": "KRW",
}
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_MULT = r"(?:\s?(?:trillion|billion|million|thousand)|(?:bn|tn|mn|mln|m|b|k))\b"
_PATTERNS = (
    re.compile(
        r"(?P<pc>us\$|u\.s\.\s?\$|usd\s?\$?|a\$|au\$|aud\s?\$?|c\$|ca\$|cad\s?\$?|hk\$|hkd|nz\$|s\$|eur|gbp|jpy"
        r"|cny|rmb|€|£|¥|\$)\s?(?P<pn>" + _NUM + r")(?P<pm>" + _MULT + r")?"
    ),
    re.compile(
        r"(?:人民币\s?)?(?P<zn>" + _NUM + r")\s?(?P<zm>万亿|亿|千万|百万|万)?"
        r"(?P<zc>美元|元人民币|元|欧元|澳元|港元|日元|英镑|加元|韩元)"
    ),
    re.compile(
        r"(?P<sn>" + _NUM + r")(?P<sm>" + _MULT + r")?\s?(?P<sc>euros?|u\.s\. dollars|us dollars"
        r"|australian dollars|canadian dollars|dollars|yuan|renminbi|yen|pounds|won)\b"
    ),
)
# what each pattern cannot match without: a cheap test before running it
_PATTERN_HINTS = (
    ("$", "€", "£", "¥", "usd", "aud", "cad", "hkd", "eur", "gbp", "jpy", "cny", "rmb"),
    ("元", "镑"),
    ("euro", "dollar", "yuan", "renminbi", "yen", "pound", "won"),
)
_EQUIV_GAP = re.compile(
    r"^\s*(?:\(|,|;)?\s*(?:or|about|around|approximately|roughly|some|~|equivalent to|i\.e\."
    r"|约合|折合|约|合)?\s*$"
)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def _vocab() -> dict[str, Any]:
    v = vocab()["money"]
    low = lambda words: tuple(w.lower() for w in words)  # noqa: E731
    return {
        "before": [(name, low(words)) for name, words in v["qualifiers"].items()],
        "after": [(name, low(words)) for name, words in v["qualifiers_after"].items()],
        "previous": low(v["previous"]["cues"]),
        "price_after": low(v["price_after"]["terms"]),
        "price_before": low(v["price_after"]["price_before"]),
        "financial": low(v["financial_before"]["terms"]),
        "stock_after": low(v["financial_before"]["stock_after"]),
        "stock_before": low(v["financial_before"]["stock_before"]),
    }


def _ends_with(before: str, words: tuple[str, ...], skip_words: int = 0) -> bool:
    """Does `before` (lower-cased) end with one of `words` as whole words, allowing `skip_words` words after it?"""
    text = before.rstrip(" ,(")
    for _ in range(skip_words + 1):
        if text.endswith(words):  # one C-level test for the whole tuple; check word boundaries only on a hit
            for word in words:
                if text.endswith(word):
                    head = text[: len(text) - len(word)]
                    if not head or not (head[-1].isascii() and head[-1].isalnum()) or not word[0].isascii():
                        return True
        cut = text.rfind(" ")
        if cut < 0:
            return False
        text = text[:cut].rstrip(" ,(")
    return False


def _starts_with(after: str, words: tuple[str, ...]) -> bool:
    return _SPACES.sub(" ", after).lstrip().startswith(words)


def _qualifier(before: str, after: str) -> str | None:
    v = _vocab()
    trimmed = re.sub(r"(?:\s(?:the|approximately))+\s*$", "", before.rstrip())
    for name, words in v["before"]:
        if _ends_with(trimmed, words):
            return name
    for name, words in v["after"]:
        if after.startswith(words):
            return name
    return None


def _what(low: str, start: int, end: int, next_start: int) -> str | None:
    """The nearest word saying what the amount is: in the words after it (up to the next amount or clause
    end), else in the words just before it."""
    latin, cjk, longest = _what_terms()
    after = re.split(r"[;。；]|,\s(?=and\b)|\.\s", low[end : min(next_start, end + 45)])[0]
    before = low[max(0, start - 35) : start]
    for window, reverse in ((after, False), (before, True)):
        words = _WORD.findall(window)
        positions = range(len(words) - 1, -1, -1) if reverse else range(len(words))
        for i in positions:
            for size in range(longest, 0, -1):
                phrase = " ".join(words[i : i + size])
                if phrase in latin:
                    return phrase
        found = [
            (window.rfind(term) + len(term), len(term), term) if reverse else (window.find(term), -len(term), term)
            for term in cjk
            if term in window
        ]
        if found:
            return (max(found) if reverse else min(found))[2]
    return None


@lru_cache(maxsize=1)
def _what_terms() -> tuple[frozenset[str], tuple[str, ...], int]:
    terms = [t.lower() for t in vocab()["money"]["what"]["terms"]]
    latin = frozenset(" ".join(_WORD.findall(t)) for t in terms if t.isascii())
    return latin, tuple(t for t in terms if not t.isascii()), max(len(t.split()) for t in latin)


def _value_and_currency(match: re.Match[str], cjk: bool) -> tuple[float, str]:
    groups = match.groupdict()
    if groups.get("pc"):
        key = match["pc"].replace(" ", "")
        currency = "CNY" if key == "¥" and cjk else _PREFIX.get(key, "USD")
        return to_number(match["pn"]) * EN_MULT.get((match["pm"] or "").strip(), 1.0), currency
    if groups.get("zc"):
        return to_number(match["zn"]) * ZH_MULT.get(match["zm"] or "", 1.0), _SUFFIX[match["zc"]]
    value = to_number(match["sn"]) * EN_MULT.get((match["sm"] or "").strip(), 1.0)
    return value, _SUFFIX.get(_SPACES.sub(" ", match["sc"]), "USD")


def _matches(low: str) -> list[re.Match[str]]:
    found = sorted(
        (
            m
            for rx, hints in zip(_PATTERNS, _PATTERN_HINTS, strict=True)
            if any(h in low for h in hints)
            for m in rx.finditer(low)
        ),
        key=lambda m: (m.start(), -m.end()),
    )
    out: list[re.Match[str]] = []
    for match in found:
        before = low[match.start() - 1 : match.start()] if match.start() else ""
        prefix = match.groupdict().get("pc")
        if before and not prefix and (before.isdigit() or before in ".,"):
            continue  # the tail of a longer number
        if before and prefix and prefix[0].isalpha() and before.isalpha():
            continue  # "eur" inside a word
        if out and match.start() < out[-1].end():
            continue
        out.append(match)
    return out


def find_money(text: str) -> list[dict[str, Any]]:
    """Every amount of money in `text`, in order, each a JSON-ready dict."""
    low = lowered(text)
    if not any(hint in low for hints in _PATTERN_HINTS for hint in hints):
        return []
    if len(low) != len(text):  # a rare character changed length when lower-cased: show the lower-cased text
        text = low
    v = _vocab()
    cjk = bool(_CJK.search(low))
    matches = _matches(low)
    items: list[dict[str, Any]] = []
    for index, match in enumerate(matches):
        value, currency = _value_and_currency(match, cjk)
        if value <= 0:
            continue
        start, end = match.start(), match.end()
        before = _SPACES.sub(" ", low[max(0, start - 60) : start])
        after = low[end : end + 30]
        kind = "amount"
        if _starts_with(after, v["price_after"]) or _ends_with(before[-25:], v["price_before"]):
            kind = "price"
        elif _starts_with(after, v["stock_after"]) or _ends_with(before[-25:], v["stock_before"]):
            kind = "stock"
        elif _ends_with(before[-40:], v["financial"], skip_words=2):
            kind = "financial"
        elif _ends_with(before[-45:], v["previous"], skip_words=2):
            kind = "previous"
        next_start = matches[index + 1].start() if index + 1 < len(matches) else len(low)
        items.append(
            {
                "text": text[start:end],
                "amount": round(value),
                "currency": currency,
                "amount_usd": round(value) if currency == "USD" else None,
                "qualifier": _qualifier(before[-40:], after),
                "kind": kind,
                "what": _what(low, start, end, next_start),
                "_span": (start, end),
            }
        )
    _link_equivalents(low, items)
    for item in items:
        item.pop("_span")
    return items


def _link_equivalents(low: str, items: list[dict[str, Any]]) -> None:
    """'AUD 400 million ($257.2m)': the second amount is the USD value of the first, not another amount."""
    for first, second in itertools.pairwise(items):
        if first["currency"] == "USD" or second["currency"] != "USD" or second["kind"] == "equivalent":
            continue
        if _EQUIV_GAP.match(low[first["_span"][1] : second["_span"][0]]):
            first["amount_usd"] = second["amount"]
            second["kind"] = "equivalent"
            if first["what"] is None:
                first["what"] = second["what"]


def summarize_money(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The deal's headline amount (the first one named), the list of USD amounts, and an earlier figure if any."""
    facts: dict[str, Any] = {}
    amounts = [m for m in items if m["kind"] == "amount"]
    if amounts:
        lead = amounts[0]
        facts["amount"] = lead["amount"]
        facts["currency"] = lead["currency"]
        if lead["amount_usd"] is not None:
            facts["amount_usd"] = lead["amount_usd"]
        if lead["qualifier"]:
            facts["amount_qualifier"] = lead["qualifier"]
        seen: set[int] = set()
        listed = []
        for m in amounts:
            if m["amount_usd"] is not None and m["amount_usd"] not in seen:
                seen.add(m["amount_usd"])
                listed.append({"what": m["what"], "amount_usd": m["amount_usd"], "qualifier": m["qualifier"]})
        if listed:
            facts["amounts_usd"] = listed
    previous = [m for m in items if m["kind"] == "previous" and m["amount_usd"] is not None]
    if previous:
        facts["previous_amount_usd"] = previous[0]["amount_usd"]
    prices = [m for m in items if m["kind"] == "price"]
    if prices:
        facts["prices"] = [{"amount": m["amount"], "currency": m["currency"], "text": m["text"]} for m in prices]
    return facts
