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

    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]:
        options: JsonOptions = source.options  # type: ignore[assignment]
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
