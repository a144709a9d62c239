"""`watcher sources try URL`: fetch a page once and show what each kind would extract from it.

Adding a source means guessing selectors against markup you cannot see from
the config file. This fetches the URL once (nothing is written to the state),
reports how the body was decoded, runs each applicable kind with the options
given, suggests the options that were not given (see watcher.authoring.suggest), and
ends with a `[[source]]` entry to paste into sources.toml.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from watcher.authoring.suggest import guess_json_fields, item_candidates, json_outline
from watcher.config.sources import DEFAULT_USER_AGENT, parse_config
from watcher.core.errors import ExtractError
from watcher.extract.kinds.page import main_text_lines
from watcher.extract.maintext import css_path, largest_block
from watcher.extract.markup import jmes, load_json, parse_html, text_of
from watcher.extract.registry import make_extractor
from watcher.fetch.http import Fetcher

if TYPE_CHECKING:
    from watcher.config.sources import Source
    from watcher.core.models import Fetched, Item

_FEED = re.compile(r"<(?:rss|feed|rdf:rdf)[\s>]", re.IGNORECASE)
_HOW = {
    "forced": "forced by --encoding",
    "bom": "from the byte-order mark",
    "header": "from the Content-Type header",
    "meta": "from the <meta> tag or XML declaration",
    "utf-8": "none declared; the bytes are valid UTF-8",
    "detected": "none declared; detected by charset-normalizer",
    "fallback": "undecidable; read as UTF-8",
}


@dataclass(frozen=True)
class TryOptions:
    """What the user passed: a kind and its options (CSS for html, JMESPath for json), and how to fetch."""

    kind: str | None = None
    item: str | None = None
    title: str | None = None
    link: str | None = None
    date: str | None = None
    json_path: str | None = None
    encoding: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    limit: int = 5


@dataclass
class Section:
    """What one kind makes of the page, and the options it would be configured with."""

    kind: str
    heading: str
    options: dict[str, Any] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    total: int = 0
    lines: list[str] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)  # {item, rows, matched, date, items}
    error: str | None = None

    @property
    def useful(self) -> bool:
        return self.error is None and bool(self.items or self.candidates or (self.kind == "page" and self.lines))


@dataclass
class Probe:
    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    charset_source: str | None
    size: int
    elapsed: float
    looks_like: str
    sections: list[Section]
    toml: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for section, raw in zip(self.sections, data["sections"], strict=True):
            raw.pop("items")
            raw["items"] = [_item_json(item) for item in section.items]
            for candidate in raw["candidates"]:
                candidate["items"] = [_item_json(item) for item in candidate["items"]]
        return data


def probe(url: str, options: TryOptions, *, user_agent: str | None = None) -> Probe:
    """Fetch `url` once and run each applicable kind on the response (raises FetchError, ConfigError)."""
    base = _source(url, "page", {}, options)  # validates the URL, the encoding and the headers first
    fetcher = Fetcher(user_agent=user_agent or DEFAULT_USER_AGENT, host_interval=0)
    fetched = fetcher.fetch(url, timeout=base.timeout, max_bytes=base.max_bytes, headers=base.headers, retries=1)
    text = text_of(fetched, base)
    looks = _looks_like(fetched, text)
    sections: list[Section] = []
    for kind in _kinds(options, looks, fetched, base):
        try:
            sections.append(_SECTIONS[kind](fetched, options, base))
        except ExtractError as error:
            sections.append(Section(kind, f"{kind}: cannot read the page as {kind}", error=str(error)))
    best = next((section for section in sections if section.useful), None)
    return Probe(
        url=url,
        final_url=fetched.final_url,
        status=fetched.status,
        content_type=fetched.content_type,
        charset=fetched.charset,
        charset_source=fetched.charset_source,
        size=len(fetched.content),
        elapsed=fetched.elapsed,
        looks_like=looks,
        sections=sections,
        toml=snippet(url, best, options, fetched),
    )


def _kinds(options: TryOptions, looks: str, fetched: Fetched, base: Source) -> list[str]:
    if options.kind:
        return [options.kind]
    if looks == "json":
        if options.json_path:
            return ["html"]
        lists, html_paths = json_outline(load_json(fetched, base))
        if not html_paths:
            return ["json"]
        return ["html"] if options.item and not lists else ["json", "html"]  # --item is CSS for HTML in JSON
    return ["feed"] if looks == "feed" else ["html", "page"]


def _looks_like(fetched: Fetched, text: str) -> str:
    content_type = fetched.content_type.lower()
    head = text[:2000].lstrip()
    if "json" in content_type or head.startswith(("{", "[")):
        return "json"
    if "rss" in content_type or "atom" in content_type or _FEED.search(head):
        return "feed"
    return "html"


def _html(fetched: Fetched, options: TryOptions, base: Source) -> Section:
    json_path = options.json_path
    if json_path is None and _looks_like(fetched, text_of(fetched, base)) == "json":
        _, html_paths = json_outline(load_json(fetched, base))
        json_path = html_paths[0] if html_paths else None
    shared = {
        key: value
        for key, value in (("title", options.title), ("link", options.link), ("json_path", json_path))
        if value
    }
    if options.item:
        chosen = {"item": options.item, **shared, **({"date": options.date} if options.date else {})}
        items = _extract(fetched, "html", chosen, options)
        return Section("html", f"html: items matching {options.item!r}", chosen, items[: options.limit], len(items))
    markup = text_of(fetched, base)
    if json_path:
        found = jmes(json_path).search(load_json(fetched, base))
        if not isinstance(found, str):
            raise ExtractError(f"json_path {json_path!r} does not lead to an HTML string")
        markup = found
    candidates = []
    for candidate in item_candidates(parse_html(markup), fetched.final_url):
        chosen = {"item": candidate.item, **shared}
        date = options.date or candidate.date
        if date:
            chosen["date"] = date
        items = _extract(fetched, "html", chosen, options)
        candidates.append(
            {
                "item": candidate.item,
                "rows": candidate.rows,
                "matched": candidate.matched,
                "date": date,
                "options": chosen,
                "items": items[: options.limit],
            }
        )
    where = f" of the HTML at {json_path!r}" if json_path else ""
    heading = f"html: suggested item selectors{where} (repeated elements with one link and a date)"
    if not candidates:
        return Section(
            "html", heading, error="no repeated element with one link and a date-looking text; pass --item SELECTOR"
        )
    return Section("html", heading, dict(candidates[0]["options"]), candidates=candidates)


def _feed(fetched: Fetched, options: TryOptions, base: Source) -> Section:
    items = _extract(fetched, "feed", {}, options)
    return Section("feed", "feed: entries", {}, items[: options.limit], len(items))


def _json(fetched: Fetched, options: TryOptions, base: Source) -> Section:
    data = load_json(fetched, base)
    lists, html_paths = json_outline(data)
    lines = [f"top-level: {_describe(data)}"]
    lines += [
        f"list {found.path!r}: {found.length} objects with keys {', '.join(found.keys[:12])}" for found in lists[:5]
    ]
    lines += [f"HTML inside JSON at {path!r}: try --json-path {path}" for path in html_paths[:3]]
    path = options.item or (lists[0].path if lists else None)
    if path is None:
        return Section("json", "json: no list of objects found", lines=lines)
    _source(fetched.url, "json", {"items": path}, options)  # an invalid JMESPath is a usage error, not a crash
    entries = jmes(path).search(data)
    guess = guess_json_fields(entries if isinstance(entries, list) else [])
    chosen = {"items": path, **guess}
    chosen.update(
        {
            key: value
            for key, value in (("title", options.title), ("link", options.link), ("date", options.date))
            if value
        }
    )
    items = _extract(fetched, "json", chosen, options)
    return Section("json", f"json: entries of {path!r}", chosen, items[: options.limit], len(items), lines)


def _page(fetched: Fetched, options: TryOptions, base: Source) -> Section:
    text = text_of(fetched, base)
    block = largest_block(parse_html(text))
    css = css_path(block) if block is not None else "body"
    lines = main_text_lines(block) if block is not None else main_text_lines(parse_html(text).body)
    chosen = {"selector": css} if css != "body" else {}
    return Section(
        "page",
        f"page: first lines of the main text ({css})",
        chosen,
        lines=lines[: options.limit * 2],
        total=len(lines),
    )


_SECTIONS = {"html": _html, "feed": _feed, "json": _json, "page": _page}


def _extract(fetched: Fetched, kind: str, kind_options: dict[str, Any], options: TryOptions) -> list[Item]:
    return make_extractor(kind).extract(fetched, _source(fetched.url, kind, kind_options, options))


def _source(url: str, kind: str, kind_options: dict[str, Any], options: TryOptions) -> Source:
    entry: dict[str, Any] = {"name": "try", "url": url, "kind": kind, **kind_options}
    if options.encoding:
        entry["encoding"] = options.encoding
    if options.headers:
        entry["headers"] = dict(options.headers)
    return parse_config({"source": [entry]}, Path("watcher sources try")).sources[0]


def snippet(url: str, best: Section | None, options: TryOptions, fetched: Fetched) -> str:
    """A `[[source]]` entry for the best suggestion, ready to paste into sources.toml."""
    lines = [
        "[[source]]",
        f"name = {_toml(_name(url))}",
        f"url = {_toml(url)}",
        f"kind = {_toml(best.kind if best else 'page')}",
    ]
    if options.encoding:
        lines.append(f"encoding = {_toml(options.encoding)}")
    elif fetched.charset_source in ("detected", "fallback"):
        lines.append(f"# the charset was guessed, not declared: consider encoding = {_toml(fetched.charset or '')}")
    if options.headers:
        pairs = ", ".join(f"{_toml_key(key)} = {_toml(value)}" for key, value in options.headers.items())
        lines.append(f"headers = {{ {pairs} }}")
    for key, value in (best.options if best else {}).items():
        lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines) + "\n"


def _name(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "source").removeprefix("www.")
    segments = [segment for segment in parts.path.split("/") if segment and "." not in segment]
    name = "-".join([host.replace(".", "-"), *segments[-1:]])
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")
    return (name or "source")[:64]


def _toml(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(part) for part in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml(key)


def _describe(data: Any) -> str:
    if isinstance(data, dict):
        return ", ".join(f"{key} ({_type(value)})" for key, value in list(data.items())[:15])
    return _type(data)


def _type(value: Any) -> str:
    if isinstance(value, list):
        return f"list of {len(value)}"
    return {dict: "object", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _item_json(item: Item | dict[str, Any]) -> dict[str, Any]:
    if isinstance(item, dict):
        return {key: item.get(key) for key in ("title", "url", "published", "id")}
    return {"title": item.title, "url": item.url, "published": item.published, "id": item.id}


def render_text(result: Probe) -> str:
    """The probe as a person reads it: the response, one block per kind, and the snippet."""
    how = _HOW.get(result.charset_source or "", result.charset_source or "?")
    out = [
        f"URL           {result.url}",
        f"final URL     {result.final_url}",
        f"HTTP status   {result.status}",
        f"content type  {result.content_type or '-'}",
        f"charset       {result.charset} ({how})",
        f"size          {result.size:,} bytes in {result.elapsed:.2f}s",
        f"looks like    {result.looks_like}",
    ]
    for section in result.sections:
        out += ["", f"== {section.heading} =="]
        out += [f"  {line}" for line in section.lines if section.kind != "page"]
        if section.error:
            out.append(f"  {section.error}")
        for rank, candidate in enumerate(section.candidates, 1):
            date = f"   date = {_toml(candidate['date'])}" if candidate["date"] else ""
            out.append(
                f"  {rank}. item = {_toml(candidate['item'])}   {candidate['rows']} rows with one link and "
                f"a date (of {candidate['matched']} matched){date}"
            )
            out += [f"       {_item_line(item)}" for item in candidate["items"]]
        if section.items:
            out.append(f"  {section.total} items; the first {len(section.items)}:")
            out += [f"    {_item_line(item)}" for item in section.items]
        if section.kind == "page":
            out += [f"  {line[:100]}" for line in section.lines]
    out += ["", "== paste into sources.toml ==", result.toml.rstrip()]
    return "\n".join(out)


def _item_line(item: Item) -> str:
    title = item.title if len(item.title) <= 60 else item.title[:59] + "…"
    return f"{item.published or '-':<16} {title}  {item.url}"
