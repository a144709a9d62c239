"""`watcher sources try URL`: fetch a page once and show what each kind would extract from it.

Adding a source means guessing selectors against markup you cannot see from
the config file. This fetches the URL once (nothing is written to the state),
reports how the body was decoded, asks every kind whether the response fits it
and what it makes of it (`Kind.fits`, `Kind.trial`: the kinds suggest the options
that were not given), and ends with a `[[source]]` entry to paste into sources.toml.
No kind is named here: a new kind's module brings its own answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from watcher.config.sources import DEFAULT_USER_AGENT, parse_config
from watcher.core.errors import ExtractError
from watcher.extract.registry import all_kinds, get_kind, plain_kind
from watcher.extract.trial import Hints, Sample, Trial
from watcher.fetch.http import Fetcher

if TYPE_CHECKING:
    from watcher.config.sources import Source
    from watcher.core.models import Fetched, Item
    from watcher.extract.registry import Kind

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
    """What the user passed: a kind, hints for its options (selectors or paths), and how to fetch."""

    kind: str | None = None
    item: str | None = None
    title: str | None = None
    link: str | None = None
    date: str | None = None
    json_path: str | None = None
    encoding: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    limit: int = 5

    @property
    def hints(self) -> Hints:
        return Hints(self.item, self.title, self.link, self.date, self.json_path, self.limit)


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
    sections: list[Trial]
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
    base = _source(url, plain_kind(), {}, options)  # validates the URL, the encoding and the headers first
    fetcher = Fetcher(user_agent=user_agent or DEFAULT_USER_AGENT, host_interval=0)
    fetched = fetcher.fetch(url, timeout=base.timeout, max_bytes=base.max_bytes, headers=base.headers, retries=1)
    sample = Sample(fetched, base, lambda kind, kind_options: _source(fetched.url, kind, kind_options, options))
    hints = options.hints
    sections: list[Trial] = []
    for kind in _kinds(options, sample, hints):
        try:
            sections.append(kind.trial(sample, hints))
        except ExtractError as error:
            sections.append(Trial(kind.name, f"{kind.name}: cannot read the page as {kind.name}", error=str(error)))
    best = next((section for section in sections if _useful(section)), None)
    return Probe(
        url=url,
        final_url=fetched.final_url,
        status=fetched.status,
        content_type=fetched.content_type,
        charset=fetched.charset,
        charset_source=fetched.charset_source,
        size=len(fetched.content),
        elapsed=fetched.elapsed,
        looks_like=sample.format,
        sections=sections,
        toml=snippet(url, best, options, fetched),
    )


def _kinds(options: TryOptions, sample: Sample, hints: Hints) -> list[type[Kind]]:
    """The kind --kind names, else every kind that says the response fits it, in their `try_order`."""
    if options.kind:
        kind = get_kind(options.kind)
        return [kind] if kind is not None else []
    return [kind for kind in all_kinds() if kind.fits(sample, hints)]


def _document(section: Trial) -> bool:
    """Whether the section's lines are the text of the one document its kind watches (rather than notes)."""
    kind = get_kind(section.kind)
    return kind is not None and not kind.is_list


def _useful(section: Trial) -> bool:
    """Whether a kind found something to configure: items, suggested selectors, or a document's text."""
    return section.error is None and bool(section.items or section.candidates or (_document(section) and section.lines))


def _source(url: str, kind: str, kind_options: dict[str, Any], options: TryOptions) -> Source:
    entry: dict[str, Any] = {"name": "try", "url": url, "kind": kind, **kind_options}
    if options.encoding:
        entry["encoding"] = options.encoding
    if options.headers:
        entry["headers"] = dict(options.headers)
    return parse_config({"source": [entry]}, Path("watcher sources try")).sources[0]


def snippet(url: str, best: Trial | None, options: TryOptions, fetched: Fetched) -> str:
    """A `[[source]]` entry for the best suggestion, ready to paste into sources.toml."""
    lines = [
        "[[source]]",
        f"name = {_toml(_name(url))}",
        f"url = {_toml(url)}",
        f"kind = {_toml(best.kind if best else plain_kind())}",
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
        out += [f"  {line}" for line in section.lines if not _document(section)]
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
        if _document(section):
            out += [f"  {line[:100]}" for line in section.lines]
    out += ["", "== paste into sources.toml ==", result.toml.rstrip()]
    return "\n".join(out)


def _item_line(item: Item) -> str:
    title = item.title if len(item.title) <= 60 else item.title[:59] + "…"
    return f"{item.published or '-':<16} {title}  {item.url}"
