"""Short summaries and readable titles for alerts.

A notice's full text is too long for Slack; the reader wants the sentence that
carries the decision and the figures ("一、2024年第一批…分别为135000吨、127000吨"),
not the addressee list. Sentences are scored by the terms that decided the label
and by figures (tonnes, money, percentages), and the best ones are kept in
document order.
"""

from __future__ import annotations

import re
import unicodedata

from watcher.core.textwidth import shorten, width

_SENTENCE = re.compile(r"[^。；;!?！？\n]+(?:[。；;!?！？]|\.(?=\s|$)|$)", re.MULTILINE)
_FIGURE = re.compile(
    r"\d[\d,.]*\s*(?:万?吨|亿|万|t\b|tonnes?|tons?|million|billion|bn|m\b)|[$€£¥]\s?\d|"
    r"(?:US|A|C|HK)\$\s?\d",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\d\s*%")
# Chinese notices state their decision in the first numbered clause (一、… / 第一条 …)
_FIRST_CLAUSE = re.compile(r"^(?:一、|第一条)")
_DATE = re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?")
_NOISE = re.compile(r"^(?:filed:|exhibit\s+\d|ex-\d|附件|来源|类型|发布时间|【)", re.IGNORECASE)
# EDGAR feeds title every filing "8-K - Current report": the form says nothing about the deal
_FORM_TITLE = re.compile(r"^(?P<form>[0-9A-Z][0-9A-Z/.-]{0,11})\s+-\s+[A-Za-z][A-Za-z ,()\[\]0-9.-]{2,80}$")


def summarize(title: str, text: str, matched: list[str], limit: int = 280) -> str:
    """The sentences of `text` that say most, in order, within `limit` columns (a Chinese character takes two);
    "" if none adds anything to the title."""
    title_key = _key(title)
    terms = [term.lower() for term in matched if term and "…" not in term]
    scored: list[tuple[float, int, str]] = []
    for index, match in enumerate(_SENTENCE.finditer(text or "")):
        sentence = " ".join(match.group(0).split())
        key = _key(sentence)
        if len(key) < 8 or _NOISE.match(sentence) or key in title_key or title_key in key:
            continue
        low = sentence.lower()
        score = (
            sum(1.0 for term in terms if term in low)
            + 1.5 * len(_FIGURE.findall(sentence))
            + 0.5 * len(_PERCENT.findall(sentence))
            + (1.0 if _FIRST_CLAUSE.match(sentence) else 0.0)
        )
        scored.append((score, index, sentence))
    if not scored:
        return ""
    best = sorted(scored, key=lambda entry: (-entry[0], entry[1]))
    if best[0][0] == 0:
        best = sorted(scored, key=lambda entry: entry[1])[:1]  # nothing decisive: the first new sentence
    floor = best[0][0] / 2  # sentences that say much less than the best one are left to the source link
    chosen: list[tuple[int, str]] = []
    used = 0
    for score, index, sentence in best:
        if score < floor:
            break
        size = width(sentence)
        if used and used + size > limit:
            continue
        chosen.append((index, sentence))
        used += size + 1
        if used >= limit:
            break
    return shorten(" ".join(sentence for _, sentence in sorted(chosen)), limit)


def readable_title(title: str, text: str) -> str:
    """A filing's own headline when the feed gives only its form ("8-K - Current report"), else the title."""
    form = _FORM_TITLE.match(title.strip())
    if form is None:
        return title
    for line in (text or "").splitlines():
        line = " ".join(line.split())
        if len(line) >= 30 and not _NOISE.match(line) and "AccNo" not in line:
            return f"{form.group('form')}: {line[:200]}"
    return title


def _key(text: str) -> str:
    """Letters and digits only, without dates: "…关于下达2023年第一批… [2023-03-24]" is still the title."""
    folded = _DATE.sub("", unicodedata.normalize("NFKC", text or "").lower())
    return "".join(char for char in folded if char.isalnum())
