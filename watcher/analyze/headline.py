"""An English headline for an alert whose title is not English.

Official Chinese titles follow a few forms (商务部 海关总署公告2025年第18号 公布对…实施出口管制的决定,
工业和信息化部 自然资源部关于下达2024年第二批…总量控制指标的通知, 国务院令第785号 稀土管理条例,
海关总署：严厉打击…走私): the grammar in
watcher/data/title_forms.toml reads them and watcher/data/glossary.toml translates their parts, giving
"MOFCOM and GACC Announcement No. 18 of 2025: export controls on certain items related to medium and heavy rare
earths". A title with a word the glossary does not know is never translated word by word: its headline is built
from the label and the facts (document, elements, amounts, parties in English). The original title is always
shown beneath by the message, with its link.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from watcher.analyze.glossary import Glossary, glossary, join_and
from watcher.analyze.textnorm import normalize
from watcher.analyze.titles import is_english, split_outlet
from watcher.core.units import format_money, format_tonnes

_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_FIELD = re.compile(r"\{(\w+)\}")
_NUMBERS = r"(?P<nos>\d+\s*号(?:\s*[、,，和]\s*第?\s*\d+\s*号)*)"
_DOC_REF = r"(?:(?P<issuers>{issuers})\s*)?(?:联合)?公告\s*(?P<year>\d{4})\s*年?\s*第?\s*" + _NUMBERS
_DOC_REF_BARE = r"(?:(?P<year>\d{4})\s*年\s*)?第\s*" + _NUMBERS + r"\s*公告"
_DOC_JOIN = re.compile(r"\s*(?:以及|及|和|、|,|，)\s*")
_QUOTA = re.compile(
    r"^(?P<year>\d{4})\s*年度?\s*(?:全国)?\s*(?:第(?P<batch>[一二三四五六七八九十\d])批)?\s*(?P<np>.+)$"
)
_TRAILING_NOTE = re.compile(r"\s*(?:[(（\[【][^()（）\[\]【】]{1,12}[)）\]】]|\d{4}-\d{2}-\d{2})\s*$")
_BYLINE = re.compile(r"^[\u4e00-\u9fff]{2,5}\s*[:：]\s*")
_SMALL_WORDS = {"a", "an", "and", "of", "on", "for", "the", "to", "in", "from", "or"}


@dataclass(frozen=True)
class Headline:
    """`text` in English; `how`: "title" (the title is English), "grammar" (read by the title grammar) or
    "facts" (built from label and facts); `who`: the issuer or document it starts with, if any."""

    text: str
    how: str
    who: str = ""


@dataclass(frozen=True)
class _Form:
    regex: re.Pattern[str]
    english: str
    alone: bool = False


@dataclass(frozen=True)
class _Grammar:
    documents: tuple[_Form, ...]
    subjects: tuple[_Form, ...]
    actions: tuple[_Form, ...]
    names: dict[str, str]
    fallback: dict[str, str]
    issuer_run: re.Pattern[str]
    doc_ref: re.Pattern[str]
    doc_ref_bare: re.Pattern[str]


@lru_cache(maxsize=1)
def grammar() -> _Grammar:
    data = tomllib.loads(resources.files("watcher").joinpath("data", "title_forms.toml").read_text("utf-8"))
    plain = "|".join(re.escape(name) for name in glossary().issuer_names())
    names = rf"(?:{plain})(?:等(?:[二三四五六七八九十\d]{{1,2}})?部(?:门|委))?"
    issuers = rf"{names}(?:\s*[、和与及]?\s*{names})*"

    def forms(key: str) -> tuple[_Form, ...]:
        return tuple(
            _Form(
                re.compile(entry["pattern"].replace("{issuers}", issuers)),
                entry.get("english", ""),
                entry.get("alone", False),
            )
            for entry in data.get(key, [])
        )

    return _Grammar(
        documents=forms("document"),
        subjects=forms("subject"),
        actions=forms("action"),
        names=dict(data.get("document_names", {})),
        fallback=dict(data.get("fallback", {})),
        issuer_run=re.compile(names),
        doc_ref=re.compile(_DOC_REF.replace("{issuers}", issuers)),
        doc_ref_bare=re.compile(_DOC_REF_BARE),
    )


def english_headline(
    title: str, label: str, facts: dict[str, Any] | None = None, publisher: str | None = None
) -> Headline:
    """The headline a reader of English gets for `title` (the title itself when it is English)."""
    if is_english(title):
        return Headline(title, "title")
    text = normalize(split_outlet(title)[0])
    who, action = read_title(text)
    if who and action:
        return Headline(f"{who}: {action}", "grammar", who)
    if action and not who:
        return Headline(_capital(action), "grammar")
    return _from_facts(text, label, facts or {}, who or "", publisher)


def read_title(text: str) -> tuple[str | None, str | None]:
    """(who, what) of a normalised Chinese title: the document or issuers it starts with, and what it does;
    either is None when the grammar cannot read it. A note a list adds at the end ("(附件)", "[2025-10-09]")
    is read past when the whole title does not parse."""
    who, action = _read(text)
    trimmed = _TRAILING_NOTE.sub("", text).strip()
    if action is None and trimmed != text.strip():
        return _read(trimmed)
    return who, action


def _read(text: str) -> tuple[str | None, str | None]:
    forms = grammar()
    who, rest = None, text.strip()
    outlet = _BYLINE.match(rest)
    if outlet and not forms.issuer_run.match(rest):  # "中评社：商务部决定…": a news agency's byline, not the issuer
        rest = rest[outlet.end() :].strip()
    for form in forms.documents:
        match = form.regex.match(rest)
        if match:
            who = _fill(form.english, match, glossary())
            if who is not None:
                rest = rest[match.end() :].strip()
                break
    if not rest:
        return who, None
    for subject in forms.subjects:
        framed = subject.regex.match(rest)
        if framed is None:
            continue
        action = translate_action(framed.group("action").strip(), require_alone=who is None)
        if action:
            return who, action
    return who, None


def translate_action(text: str, require_alone: bool = False) -> str | None:
    """What a document does, in English, by the first [[action]] form whose every slot translates."""
    for form in grammar().actions:
        if require_alone and not form.alone:
            continue
        match = form.regex.fullmatch(text)
        if match is None:
            continue
        english = _fill(form.english, match, glossary())
        if english:
            return english
    return None


class _Slots(string.Formatter):
    """Formats an [[action]] template: each `{slot}` or `{slot:spec}` is translated by its name's kind."""

    def __init__(self, match: re.Match[str], words: Glossary) -> None:
        self.match, self.words = match, words

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        return key

    def format_field(self, value: Any, spec: str) -> str:
        text = (self.match.groupdict().get(value) or "").strip()
        rendered = _slot(str(value), text, spec, self.match, self.words)
        if rendered is None:
            raise LookupError(value)
        return rendered


def _fill(template: str, match: re.Match[str], words: Glossary) -> str | None:
    try:
        return " ".join(_Slots(match, words).format(template).split())
    except LookupError:
        return None


def _slot(name: str, text: str, spec: str, match: re.Match[str], words: Glossary) -> str | None:
    kind = name.rstrip("0123456789")
    if kind in ("no", "year", "n", "from", "to"):
        return text if text.isdigit() else None
    if kind == "clause":
        return text if text.isdigit() else _CHINESE_NUMBERS.get(text)
    if kind == "issuers":
        return words.issuer_list(grammar().issuer_run.findall(text))
    if kind == "np":
        return words.phrase(text)
    if kind == "country":
        return words.country(text, attr=spec == "attr")
    if kind == "list":
        term = words.terms.get(text)
        return term.en if term else None
    if kind == "docs":
        return document_references(text)
    if kind == "quota":
        return _quota(text, match.groupdict().get("batch"), spec or "quotas", words)
    if kind == "doctitle":
        return document_name(text)
    if kind == "topic":
        return translate_action(text) or words.phrase(text)
    return None


_CHINESE_NUMBERS = {
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
    "十": "10",
}


def document_references(text: str) -> str | None:
    """ "商务部 海关总署公告2025年第55号、56号及商务部公告2025年第61号" -> "MOFCOM and GACC Announcements No. 55 and 56
    of 2025 and MOFCOM Announcement No. 61 of 2025"; None unless every part is such a reference."""
    forms, words = grammar(), glossary()
    parts: list[str] = []
    at, text = 0, text.strip()
    while at < len(text):
        join = _DOC_JOIN.match(text, at)
        if parts and join and join.end() > at:
            at = join.end()
        match = forms.doc_ref.match(text, at) or forms.doc_ref_bare.match(text, at)
        if match is None:
            return None
        numbers = re.findall(r"\d+", match.group("nos"))
        who = ""
        if match.groupdict().get("issuers"):
            who = words.issuer_list(forms.issuer_run.findall(match.group("issuers"))) or ""
            if not who:
                return None
        noun = "Announcements" if len(numbers) > 1 else "Announcement"
        year = f" of {match.group('year')}" if match.group("year") else ""
        parts.append(" ".join(part for part in (who, noun, "No.", join_and(numbers)) if part) + year)
        at = match.end()
    return join_and(parts) if parts else None


def document_name(text: str) -> str | None:
    """The English name of a law or rule: 《稀土管理条例》 -> "Regulations on Rare Earth Management"."""
    words = glossary()
    core = text.strip().strip("《》")
    draft = ""
    for note in ("(征求意见稿)", "（征求意见稿）"):
        if core.endswith(note):
            core, draft = core[: -len(note)].strip("《》 "), " (draft for comment)"
    core = core.removesuffix("》")
    prc = ""
    for prefix in ("中华人民共和国", "中国"):
        if core.startswith(prefix) and core not in words.terms:
            core, prc = core[len(prefix) :], "PRC "
    whole = words.terms.get(core)
    if whole is not None:
        return f"{prc}{whole.en}{draft}"
    for head, pattern in sorted(grammar().names.items(), key=lambda item: len(item[0]), reverse=True):
        if core.endswith(head) and len(core) > len(head):
            subject = words.phrase(core[: -len(head)])
            if subject is None:
                return None
            return f"{prc}{pattern.format(x=_title_case(subject))}{draft}"
    return None


def _quota(text: str, batch: str | None, noun: str, words: Glossary) -> str | None:
    match = _QUOTA.match(text)
    if match is None:
        return None
    covers = words.phrase(match.group("np"))
    which = match.group("batch") or batch
    ordinal = words.ordinal(which) if which else None
    if covers is None or (which and ordinal is None):
        return None
    when = f"{ordinal} batch of {match.group('year')}" if ordinal else match.group("year")
    return f"{when} {noun} for {covers}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_case(text: str) -> str:
    out = []
    for index, word in enumerate(text.split()):
        out.append(word if index and word in _SMALL_WORDS else word[:1].upper() + word[1:])
    return " ".join(out)


# -- from the facts ---------------------------------------------------------------------------------------


def _from_facts(text: str, label: str, facts: dict[str, Any], who: str, publisher: str | None) -> Headline:
    """A headline of what the facts say when the grammar cannot read the title."""
    parties = [name for name in facts.get("parties_en") or [] if name]
    who = who or join_and(parties[:3]) or (glossary().english_name(publisher or "") or "")
    values = {
        "who": who,
        "label": label.replace("_", " "),
        "materials": join_and(materials(text, facts)[:4]),
        "amount": _amount(facts),
        "batch": f"{facts['year']} batch {facts['batch']}"
        if facts.get("year") and facts.get("batch")
        else str(facts.get("year") or ""),
        "figures": _figures(facts),
    }
    templates = grammar().fallback
    template = templates.get(label) or templates.get("default", "{who}: {label}")
    text_out = _OPTIONAL.sub(
        lambda m: m.group(1) if all(values.get(f) for f in _FIELD.findall(m.group(1))) else "", template
    )
    text_out = _FIELD.sub(lambda m: str(values.get(m.group(1), "")), text_out)
    text_out = " ".join(text_out.split())
    if not who:
        text_out = _capital(text_out.removeprefix(": ").lstrip(": "))
    return Headline(text_out, "facts", who)


def materials(text: str, facts: dict[str, Any]) -> list[str]:
    """The materials a title names (稀土 -> rare earths), then the elements of the facts, in English, once each."""
    words, found = glossary(), []
    at = 0
    while at < len(text):
        for length in range(min(words.longest, len(text) - at), 0, -1):
            term = words.terms.get(text[at : at + length])
            if term is not None and term.kind == "element":
                found.append(term.en)
                at += length
                break
        else:
            at += 1
    found += [element_name(symbol) for symbol in facts.get("elements") or []]
    seen: dict[str, None] = {}
    for name in found:
        if name and not any(name in other or other in name for other in seen):
            seen[name] = None
    return list(seen)


@lru_cache(maxsize=1)
def _elements() -> dict[str, tuple[str, str]]:
    data = tomllib.loads(resources.files("watcher").joinpath("data", "elements.toml").read_text("utf-8"))
    return {
        symbol: (
            next((name for name in entry["names"] if name.isascii() and name.islower()), symbol),
            entry.get("group", ""),
        )
        for symbol, entry in data["element"].items()
    }


def element_name(symbol: str) -> str:
    """ "Dy" -> "dysprosium" (the symbol itself for one elements.toml does not name)."""
    return _elements().get(symbol, (symbol, ""))[0]


def element_group(symbol: str) -> str:
    """ "heavy_ree", "light_ree", "critical" (elements.toml), or "" for a symbol it does not list."""
    return _elements().get(symbol, ("", ""))[1]


def _amount(facts: dict[str, Any]) -> str:
    amount = facts.get("amount")
    if isinstance(amount, int | float):
        return format_money(amount, facts.get("currency"))
    usd = facts.get("amount_usd")
    return format_money(usd) if isinstance(usd, int | float) else ""


def _figures(facts: dict[str, Any]) -> str:
    parts = []
    for key, name in (("mining_tonnes", "mining"), ("smelting_tonnes", "smelting/separation")):
        if isinstance(facts.get(key), int | float):
            parts.append(f"{name} {format_tonnes(facts[key])}")
    return ", ".join(parts)
