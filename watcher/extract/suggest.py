"""Starting options for a new source, guessed from one fetched page (the kinds' `trial`, `watcher sources try`).

Writing a `[[source]]` by reading a ministry page's markup is the slowest
part of adding a watch. A notice list is a run of sibling elements that
each hold one link and one date, so candidate `item` selectors are ranked by
how many such rows they match. For JSON APIs, the lists of objects and the
keys that look like a title, a link, a date or an id are found the same way.
Everything here is pure: a parsed tree or decoded JSON in, suggestions out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from watcher.extract.dates import parse_date
from watcher.extract.maintext import css_step
from watcher.extract.markup import absolute, clean, selector

_SKIP = {"head", "script", "style", "noscript", "template", "svg", "select", "option"}
_MIN_ROWS = 3
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HTML_STRING = re.compile(r"<(?:li|a|div|ul|tr|table|p)[\s>]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ItemCandidate:
    """An `item` selector and what it covers: `rows` elements with one link and a date, of `matched`."""

    item: str
    rows: int
    matched: int
    date: str | None = None


def item_candidates(root: Any, base: str, limit: int = 3) -> list[ItemCandidate]:
    """The best `item` selectors for a list page, most covered rows first.

    Each run of sibling elements with a row among them proposes two selectors:
    one anchored on its container's id (this list only) and one on classes (every
    list built the same way, as on a home page with one short list per section).
    """
    proposed: set[str] = set()
    for parent in root.iter():
        if not isinstance(parent.tag, str) or parent.tag in _SKIP:
            continue
        groups: dict[str, list[Any]] = {}
        for child in parent:
            if isinstance(child.tag, str) and child.tag not in _SKIP:
                groups.setdefault(child.tag, []).append(child)
        for members in groups.values():
            if any(_is_row(member, base) for member in members):
                proposed.update(_group_selectors(parent, members))
    found = []
    for css in proposed:
        matched = selector(css)(root)
        rows = [element for element in matched if _is_row(element, base)]
        if len(rows) >= _MIN_ROWS:
            found.append(ItemCandidate(css, len(rows), len(matched), _date_selector(rows)))
    found.sort(key=lambda c: (-c.rows, -c.rows / c.matched, len(c.item), c.item))
    return found[:limit]


def _is_row(element: Any, base: str) -> bool:
    """One distinct link and a date-looking text: the shape of a notice in a list."""
    links = {absolute(base, a.get("href")) for a in element.iter("a") if a.get("href")}
    links.discard("")
    return len(links) == 1 and parse_date(clean(element.text_content())) is not None


def _group_selectors(parent: Any, members: list[Any]) -> set[str]:
    classes = set.intersection(*(set((member.get("class") or "").split()) for member in members))
    usable = sorted(name for name in classes if _IDENTIFIER.fullmatch(name.replace("-", "_")))
    child = members[0].tag + "".join(f".{name}" for name in usable[:2])
    proposed = set()
    for ids in (True, False):
        anchor = css_step(parent, ids=ids)
        if anchor == parent.tag and parent.tag not in ("body", "html"):  # a bare <ul>: anchor it on an ancestor
            for ancestor in parent.iterancestors():
                step = css_step(ancestor, ids=ids)
                if step != ancestor.tag:
                    anchor = f"{step} {parent.tag}"
                    break
        proposed.add(f"{anchor} > {child}")
    return proposed


def _date_selector(rows: list[Any]) -> str | None:
    """A child selector whose first match holds the date in (nearly) every row, e.g. `span` or `span.fr`."""
    votes: Counter[str] = Counter()
    for row in rows:
        steps = {
            css_step(element, ids=False)
            for element in row.iterdescendants()
            if isinstance(element.tag, str) and element.tag != "a" and _short_date(element)
        }
        votes.update(steps | {step.split(".")[0] for step in steps})
    for step, count in sorted(votes.items(), key=lambda pair: (-pair[1], len(pair[0]))):
        if count < len(rows) * 0.8:
            break
        hits = sum(1 for row in rows if (first := selector(step)(row)) and _short_date(first[0]))
        if hits >= len(rows) * 0.8:
            return step
    return None


def _short_date(element: Any) -> bool:
    text = clean(element.text_content())
    return 0 < len(text) <= 40 and parse_date(text) is not None


# --- JSON ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonList:
    """A list of objects in a JSON document: its JMESPath, length and the keys of its first entry."""

    path: str
    length: int
    keys: tuple[str, ...]


def json_outline(data: Any, depth: int = 4) -> tuple[list[JsonList], list[str]]:
    """The lists of objects (largest first) and the paths of strings that hold HTML (jpaas `data.html`)."""
    lists: list[JsonList] = []
    html: list[str] = []

    def walk(value: Any, path: str, level: int) -> None:
        if isinstance(value, list) and value and all(isinstance(entry, dict) for entry in value[:20]):
            lists.append(JsonList(path or "@", len(value), tuple(value[0])))
        elif isinstance(value, str) and len(value) > 40 and _HTML_STRING.search(value):
            html.append(path)
        elif isinstance(value, dict) and level < depth:
            for key, inner in value.items():
                walk(inner, f"{path}.{json_key(key)}" if path else json_key(key), level + 1)

    walk(data, "", 0)
    lists.sort(key=lambda found: -found.length)
    return lists, html


def describe_json(data: Any) -> str:
    """A document's top level in a line: its keys with their types (`count (number), results (list of 20)`)."""
    if isinstance(data, dict):
        return ", ".join(f"{key} ({_type(value)})" for key, value in list(data.items())[:15])
    return _type(data)


def _type(value: Any) -> str:
    if isinstance(value, list):
        return f"list of {len(value)}"
    return {dict: "object", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def json_key(key: str) -> str:
    """A key as a JMESPath identifier, quoted when it is not a plain name."""
    return key if _IDENTIFIER.fullmatch(key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


_TITLE_NAMES = ("title", "headline", "subject", "name", "documenttitle", "header")
_LINK_NAMES = ("html_url", "url", "link", "href", "permalink", "web_url", "htmlurl")
_DATE_NAMES = ("publication_date", "published", "pubdate", "date", "publishdate", "releasedate", "time", "created")
_ID_NAMES = ("document_number", "id", "guid", "uuid", "documentkey", "key", "accessionnumber", "number")
_TEXT_NAMES = ("abstract", "summary", "description", "type")


def guess_json_fields(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """JMESPaths for the `json` kind's options (title, link, date, id, text) from sample entries."""
    sample = [entry for entry in entries[:20] if isinstance(entry, dict)]
    strings: dict[str, list[str]] = {}
    for entry in sample:
        for key, value in entry.items():
            if isinstance(value, str | int) and not isinstance(value, bool):
                strings.setdefault(key, []).append(str(value))
    mostly = max(1, int(len(sample) * 0.8))

    def pick(names: tuple[str, ...], accept: Any) -> str | None:
        keys = [key for key, values in strings.items() if sum(1 for v in values if accept(v)) >= mostly]
        for name in names:  # exact names first, then names that contain one
            for key in keys:
                if key.lower() == name:
                    return key
        for name in names:
            for key in keys:
                if name in key.lower() and not any(bad in key.lower() for bad in ("pdf", "json", "api", "image")):
                    return key
        return None

    guess: dict[str, Any] = {}
    title = pick(_TITLE_NAMES, lambda v: len(v.strip()) > 3)
    link = pick(_LINK_NAMES, lambda v: v.startswith(("http://", "https://", "/")))
    date = pick(_DATE_NAMES, lambda v: parse_date(v) is not None)
    if title:
        guess["title"] = json_key(title)
    if link:
        guess["link"] = json_key(link)
    if date:
        guess["date"] = json_key(date)
    if not link or len(set(strings.get(link, []))) < len(sample):
        unique = {key for key, values in strings.items() if len(set(values)) == len(sample) == len(values)}
        identity = next((key for name in _ID_NAMES for key in unique if key.lower() == name), None)
        identity = identity or next((key for name in _ID_NAMES for key in unique if name in key.lower()), None)
        if identity:
            guess["id"] = json_key(identity)
    text = [json_key(key) for key in strings if key.lower() in _TEXT_NAMES and key != title]
    if text:
        guess["text"] = text
    return guess
