"""`json`: JSON APIs such as the Federal Register, SEC EDGAR submissions or ASX announcements.

Fields are JMESPath expressions, so they fit on one line of TOML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from watcher.core.errors import ExtractError
from watcher.core.models import Item, content_hash
from watcher.extract.dates import parse_date
from watcher.extract.markup import absolute, canonical_id, clean, jmes, load_json, valid_jmespath
from watcher.extract.registry import Kind, KindOptions

if TYPE_CHECKING:
    from watcher.core.models import Fetched, SourceView
    from watcher.extract.trial import Hints, Sample, Trial


class JsonOptions(KindOptions):
    items: str = Field(description="JMESPath to the list of entries, e.g. 'results'")
    id: str | None = Field(
        None, description="JMESPath of an entry's stable id, e.g. 'document_number'; default: its url"
    )
    title: str = Field("title", description="JMESPath of the title")
    link: str | None = Field(None, description="JMESPath of the entry's link, e.g. 'html_url'")
    date: str | None = Field(None, description="JMESPath of the publication date, e.g. 'publication_date'")
    text: tuple[str, ...] = Field((), description="JMESPaths whose values make the entry's text, e.g. ['abstract']")

    @field_validator("text", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("items", "id", "title", "link", "date")
    @classmethod
    def _jmes(cls, value: str | None) -> str | None:
        return value if value is None else valid_jmespath(value)

    @field_validator("text")
    @classmethod
    def _jmes_all(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(valid_jmespath(expression) for expression in value)


class JsonKind(Kind):
    """A JSON API: `items` finds the list of entries; `id`, `title`, `link`, `date`
    and `text` find each entry's fields (all JMESPath)."""

    name = "json"
    Options = JsonOptions
    empty_ok = True  # an API search may have no hits yet
    try_order = 10

    @classmethod
    def fits(cls, sample: Sample, hints: Hints) -> bool:
        """The response is JSON, unless the hints are for HTML inside it (--json-path, or --item when the
        document holds HTML and no list of objects)."""
        if sample.format != "json" or hints.json_path:
            return False
        from watcher.extract.suggest import json_outline

        lists, html_paths = json_outline(sample.data)
        return not (html_paths and hints.item and not lists)

    @classmethod
    def trial(cls, sample: Sample, hints: Hints) -> Trial:
        """The lists of objects in the document; the first (or --item) read with guessed fields."""
        from watcher.extract.suggest import describe_json, guess_json_fields, json_outline
        from watcher.extract.trial import Trial

        data = sample.data
        lists, html_paths = json_outline(data)
        lines = [f"top-level: {describe_json(data)}"]
        lines += [
            f"list {found.path!r}: {found.length} objects with keys {', '.join(found.keys[:12])}" for found in lists[:5]
        ]
        lines += [f"HTML inside JSON at {path!r}: try --json-path {path}" for path in html_paths[:3]]
        path = hints.item or (lists[0].path if lists else None)
        if path is None:
            return Trial(cls.name, "json: no list of objects found", lines=lines)
        sample.source(cls.name, {"items": path})  # an invalid JMESPath is a usage error, not a crash
        entries = jmes(path).search(data)
        chosen = {"items": path, **guess_json_fields(entries if isinstance(entries, list) else [])}
        chosen.update(
            {key: value for key, value in (("title", hints.title), ("link", hints.link), ("date", hints.date)) if value}
        )
        items = sample.extract(cls, chosen)
        return Trial(cls.name, f"json: entries of {path!r}", chosen, items[: hints.limit], len(items), lines)

    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]:
        options: JsonOptions = source.options
        entries = jmes(options.items).search(load_json(fetched, source))
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise ExtractError(f"items {options.items!r} did not lead to a list (got {type(entries).__name__})")
        items: list[Item] = []
        seen: set[str] = set()
        for entry in entries:
            item = _item(entry, fetched.final_url, options)
            if item is not None and item.id not in seen:
                seen.add(item.id)
                items.append(item)
        return items


def _item(entry: Any, base: str, options: JsonOptions) -> Item | None:
    def field(expression: str | None) -> str:
        if not expression:
            return ""
        value = jmes(expression).search(entry)
        if value is None:
            return ""
        if isinstance(value, list):
            return clean(" ".join(_scalar(part) for part in value if part is not None))
        return clean(_scalar(value))

    title = field(options.title)
    url = absolute(base, field(options.link)) if options.link else ""
    text = clean(" ".join(part for part in (field(expression) for expression in options.text) if part))
    identity = field(options.id)
    if not identity:
        identity = canonical_id(url) if url else ("title:" + content_hash(title, text) if title or text else "")
    if not identity:
        return None
    published = parse_date(field(options.date)) if options.date else None
    return Item(id=identity, title=title or text[:120], url=url, published=published, text=text)


def _scalar(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(_scalar(part) for part in value.values() if part is not None)
    return str(value)
