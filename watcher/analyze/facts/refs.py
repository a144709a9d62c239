"""References a reader looks up: document numbers, control and HS codes, dates, jobs, stakes."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from watcher.analyze.facts._common import NUM, has_digit, lowered, to_number

_LEAD = re.compile(
    r"^(?:关于|暂停实施|暂停执行|停止实施|废止|修改|修订|根据|依据|按照|执行|印发|下达|详见|参见|见|按|经|以|的|和|及|与|、)+"
)
_CN_DOC = re.compile(r"([\u4e00-\u9fff]{2,12})\s*[〔\[(（]\s*((?:19|20)\d{2})\s*[〕\])）]\s*(\d{1,4})\s*号")
_CN_ANN = re.compile(
    r"((?:[\u4e00-\u9fff]{1,10}?(?:部|总署|署|局|委员会|委|院|办公室)\s?){0,3})"
    r"公告\s*((?:19|20)\d{2})\s*年?\s*第\s*(\d{1,3})\s*号"
)
_EN_ANN = re.compile(
    r"\b((?:MOFCOM\s+|GAC\s+)?Announcement)\s+No\.?\s*(\d{1,3})\s*"
    r"(?:of\s*|\[\s*|,\s*)((?:19|20)\d{2})",
    re.I,
)
_FR_DOC = re.compile(r"(?<![\d-])((?:19|20)\d{2}-\d{5})(?![\d-])")
_FR_CITE = re.compile(r"\b(\d{2,3})\s+FR\s+(\d{3,6})\b")
_EO = re.compile(r"\b(?:Executive\s+Order|E\.\s?O\.|EO)\s*(?:No\.?\s*)?(1\d{4})\b", re.I)
_CONTROL_HINT = re.compile(r"\d[A-E]\d{3}")
_CONTROL = re.compile(r"(?<![\w.])([0-9][A-E][0-9]{3}(?:\.[a-z](?:\.\d{1,2})?)?)(?![\w])")
_HS_CUE = re.compile(
    r"(?:参考海关商品编号|海关商品编号|商品编号|税则号列|税号|HS\s*codes?|HS\s*headings?|HS)"
    r"\s*[:：]?\s*"
    r"((?:\d{4}(?:\.?\d{2}){1,3}[\s、,，和及/]*(?:and\s+)?)+)",
    re.I,
)
_HS_CODE = re.compile(r"\d{4}(?:\.?\d{2}){1,3}")
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        1,
    )
}
_MONTH = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_EN_DATE = re.compile(
    _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d{2}))?\b"
    r"|\b(?P<day2>\d{1,2})\s+" + _MONTH.replace("mon", "mon2") + r"\s+(?P<year2>(?:19|20)\d{2})\b"
)
_ZH_DATE = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*(?P<mon>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(?<![\d-])(?P<year>(?:19|20)\d{2})-(?P<mon>\d{2})-(?P<day>\d{2})(?![\d-])")
_MONTHS_SHORT = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_HINT = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z.]*\s+\d|\d\s+(?:jan|feb|mar|apr|may"
    r"|jun|jul|aug|sep|oct|nov|dec)"
)
_EFFECTIVE_EN = re.compile(
    r"(?:effective|take[s]?\s+effect|took\s+effect|enter[s]?\s+into\s+force|starting|beginning|"
    r"as\s+of|come[s]?\s+into\s+force)(?:\s+(?:from|on|as\s+of|date))?[\s:]*$",
    re.I,
)
_EFFECTIVE_ZH_BEFORE = re.compile(r"自\s*$")
_EFFECTIVE_ZH_AFTER = re.compile(r"^\s*(?:起)?\s*(?:正式)?\s*(?:施行|实施|生效|执行|起)")
_UNTIL_ZH = re.compile(r"至\s*$")
_UNTIL_EN = re.compile(r"(?:until|through|till)\s*$", re.I)
_JOBS = re.compile(
    r"(?P<num>" + NUM + r")\s+(?:[\w-]+\s+){0,5}?(?:jobs|positions|workers)\b"
    r"|(?P<zh>" + NUM + r")\s*(?:万)?(?:个|多个|余个)?(?:[\u4e00-\u9fff]{0,4})?就业岗位"
    r"|就业岗位\s*(?:约|超过|逾)?\s*(?P<zh2>" + NUM + r")\s*(?:万)?\s*(?:个|多个|余个)",
    re.I,
)
_STAKE = re.compile(
    r"(?P<a>\d+(?:\.\d+)?)\s?%\s+(?:\w+\s+){0,2}?(?:stake|interest|equity|ownership)"
    r"|(?:stake|interest)\s+of\s+(?P<b>\d+(?:\.\d+)?)\s?%"
    r"|持股(?:比例)?\s*(?:不低于|约|达|为)?\s*(?P<c>\d+(?:\.\d+)?)\s?%",
    re.I,
)


def _clean_prefix(prefix: str) -> str:
    return _LEAD.sub("", prefix.strip())


def doc_numbers(text: str) -> list[str]:
    """Document numbers in the order they appear, written in one canonical form."""
    found: list[tuple[int, str]] = []
    if not has_digit(text):
        return []
    for m in _CN_DOC.finditer(text) if "号" in text else ():
        found.append((m.start(), f"{_clean_prefix(m.group(1))}〔{m.group(2)}〕{m.group(3)}号"))
    for m in _CN_ANN.finditer(text) if "公告" in text else ():
        issuer = re.sub(r"\s+", " ", _clean_prefix(m.group(1))).strip()
        found.append((m.start(), f"{issuer}公告{m.group(2)}年第{m.group(3)}号"))
    for m in _EN_ANN.finditer(text) if "nnouncement" in text else ():
        found.append((m.start(), f"{m.group(1)} No. {m.group(2)} of {m.group(3)}"))
    for m in _FR_DOC.finditer(text) if "-" in text else ():
        found.append((m.start(), m.group(1)))
    for m in _FR_CITE.finditer(text) if "FR" in text else ():
        found.append((m.start(), f"{m.group(1)} FR {m.group(2)}"))
    for m in _EO.finditer(text) if ("EO" in text or "E.O" in text or "rder" in text) else ():
        found.append((m.start(), f"EO {m.group(1)}"))
    return list(dict.fromkeys(value for _, value in sorted(found)))


_CHANGE_VERBS = {
    "暂停实施": "suspends",
    "暂停执行": "suspends",
    "停止实施": "suspends",
    "废止": "repeals",
    "修改": "amends",
    "修订": "amends",
    "suspend": "suspends",
    "pause": "suspends",
    "repeal": "repeals",
    "revok": "repeals",
    "amend": "amends",
}
_CN_CHANGE = re.compile(
    r"(暂停实施|暂停执行|停止实施|废止|修改|修订)[^。;；]{0,12}?《?"
    r"((?:[\u4e00-\u9fff]{1,10}?(?:部|总署|署)\s?){0,3})(?:公告)?\s*((?:19|20)\d{2})\s*年\s*"
    r"(第\s*\d{1,3}\s*号(?:\s*[、,，和及]\s*第?\s*\d{1,3}\s*号)*)"
)
# "… 2025年第55号、56号及商务部公告2025年第61号、62号": further documents the same verb governs
_CN_CHANGE_MORE = re.compile(
    r"\s*(?:及|和|以及|、)\s*((?:[\u4e00-\u9fff]{1,10}?(?:部|总署|署)\s?){0,3})(?:公告)?\s*((?:19|20)\d{2})\s*年\s*"
    r"(第\s*\d{1,3}\s*号(?:\s*[、,，和及]\s*第?\s*\d{1,3}\s*号)*)"
)
_EN_CHANGE = re.compile(
    r"\b(suspend|pause|repeal|revok|amend)\w*\b[^.;]{0,80}?Announcements?\s+(?:Nos?\.?\s*)?"
    r"(\d{1,3}(?:\s*(?:,|and|&|[-–])\s*(?:and\s+)?(?:No\.?\s*)?\d{1,3})*)(?:\s*(?:of|\(|,)\s*((?:19|20)\d{2}))?",
    re.I,
)


def _numbers(text: str) -> list[int]:
    """ "55–58, 61, and 62" -> [55, 56, 57, 58, 61, 62]."""
    out: list[int] = []
    for first, last in re.findall(r"(\d{1,3})(?:\s*[-–]\s*(\d{1,3}))?", text):
        low, high = int(first), int(last or first)
        out.extend(range(low, high + 1) if 0 <= high - low <= 20 else [low])
    return out


def _issuer_of(doc_no: str | None) -> str:
    match = re.match(r"(.*?)公告", doc_no or "")
    return match.group(1).strip() if match else "商务部"


def amended_documents(text: str, doc_no: str | None) -> dict[str, list[str]]:
    """Documents this one suspends, repeals or amends ("暂停实施2025年第61号公告" -> suspends:
    ["商务部公告2025年第61号"]); an unnamed issuer is the issuer of the document itself."""
    out: dict[str, list[str]] = {}
    if not has_digit(text):
        return out
    for m in _CN_CHANGE.finditer(text) if "号" in text else ():
        verb = _CHANGE_VERBS[m.group(1)]
        issuer = re.sub(r"\s+", " ", _clean_prefix(m.group(2))).strip() or _issuer_of(doc_no)
        for number in re.findall(r"\d{1,3}", m.group(4)):
            out.setdefault(verb, []).append(f"{issuer}公告{m.group(3)}年第{number}号")
        more, at = _CN_CHANGE_MORE.match(text, m.end()), m.end()
        while more:
            issuer = re.sub(r"\s+", " ", _clean_prefix(more.group(1))).strip() or issuer
            for number in re.findall(r"\d{1,3}", more.group(3)):
                out.setdefault(verb, []).append(f"{issuer}公告{more.group(2)}年第{number}号")
            at = more.end()
            more = _CN_CHANGE_MORE.match(text, at)
    for m in _EN_CHANGE.finditer(text) if "nnouncement" in text else ():
        year = m.group(3) or next(iter(re.findall(r"\b(?:19|20)\d{2}\b", text)), None)
        if year is None:
            continue
        for number in _numbers(m.group(2)):
            out.setdefault(_CHANGE_VERBS[m.group(1).lower()], []).append(f"Announcement No. {number} of {year}")
    return {key: list(dict.fromkeys(values)) for key, values in out.items()}


def control_codes(text: str) -> list[str]:
    if not _CONTROL_HINT.search(text):
        return []
    return list(dict.fromkeys(m.group(1) for m in _CONTROL.finditer(text)))


def hs_codes(text: str) -> list[str]:
    if "HS" not in text and "hs" not in text and "编号" not in text and "税" not in text:
        return []
    codes = [c.replace(".", "") for m in _HS_CUE.finditer(text) for c in _HS_CODE.findall(m.group(1))]
    return list(dict.fromkeys(codes))


def _iso(year: int | None, month: int, day: int) -> str | None:
    if year is None:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def dates(text: str, published_year: int | None = None) -> list[dict[str, Any]]:
    """Explicit dates with their role: effective (from), until, or plain; a yearless English date takes the
    publication year."""
    out = []
    if "月" not in text and not ("-" in text and _ISO_DATE.search(text)):
        low = lowered(text)
        if not any(month in low for month in _MONTHS_SHORT) or not _MONTH_HINT.search(low):
            return []
    for m in _ZH_DATE.finditer(text):
        out.append((m.start(), m.end(), _iso(int(m["year"]), int(m["mon"]), int(m["day"]))))
    for m in _ISO_DATE.finditer(text):
        out.append((m.start(), m.end(), _iso(int(m["year"]), int(m["mon"]), int(m["day"]))))
    for m in _EN_DATE.finditer(text):
        month = (m["mon"] or m["mon2"]).lower()[:3]
        number = next(i for name, i in _MONTHS.items() if name.startswith(month))
        year = m["year"] or m["year2"]
        day = int(m["day"] or m["day2"])
        out.append((m.start(), m.end(), _iso(int(year) if year else published_year, number, day)))
    result = []
    for start, end, iso in sorted(out):
        if iso is None:
            continue
        before, after = text[max(0, start - 40) : start], text[end : end + 12]
        role = "date"
        if _EFFECTIVE_EN.search(before) or _EFFECTIVE_ZH_BEFORE.search(before) or _EFFECTIVE_ZH_AFTER.match(after):
            role = "effective"
        if _UNTIL_ZH.search(before) or _UNTIL_EN.search(before):
            role = "until"
        result.append({"date": iso, "role": role})
    return result


def jobs(text: str) -> int | None:
    match = _JOBS.search(text)
    if match is None:
        return None
    number = match["num"] or match["zh"] or match["zh2"]
    value = to_number(number)
    if not match["num"] and "万" in match.group():
        value *= 10_000
    return int(value)


def stake_pct(text: str) -> float | None:
    match = _STAKE.search(text)
    if match is None:
        return None
    return float(match["a"] or match["b"] or match["c"])
