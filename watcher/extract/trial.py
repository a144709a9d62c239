"""What `watcher sources try` asks of a kind: does this response fit you, and what do you make of it?

Each kind answers for itself (`Kind.fits`, `Kind.trial`), so `watcher.authoring` fetches the page,
asks every kind and prints the answers without naming one. A kind reads the response through a
`Sample`: the body decoded once, its format sniffed once, and `Sample.extract` to run any kind
with options that are validated the way sources.toml validates them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from watcher.core.models import Fetched, Item, SourceView

_FEED = re.compile(r"<(?:rss|feed|rdf:rdf)[\s>]", re.IGNORECASE)
Format = Literal["json", "feed", "html", "text"]


class _Extractor(Protocol):
    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]: ...


class KindClass(Protocol):
    """A kind class as a Sample runs it (watcher.extract.registry.Kind; named structurally, so the registry
    may import this module and not the other way round)."""

    name: str

    def __call__(self) -> _Extractor: ...


@dataclass(frozen=True)
class Hints:
    """What the user told `sources try`: selectors of an entry, its title, link and date, where HTML
    sits inside JSON, and how many items to show. Each kind reads them in its own terms (CSS for an
    HTML list, JMESPath for a JSON API)."""

    item: str | None = None
    title: str | None = None
    link: str | None = None
    date: str | None = None
    json_path: str | None = None
    limit: int = 5


@dataclass
class Trial:
    """What one kind makes of the response, and the options it would be configured with.

    `lines` are notes on the response (the lists found in a JSON document) for a list kind, and the
    document's own first lines for a kind that watches one document (`Kind.is_list` false). Plain data:
    `sources try` prints it, and serialises it for `--json`.
    """

    kind: str
    heading: str
    options: dict[str, Any] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    total: int = 0
    lines: list[str] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)  # {item, rows, matched, date, options, items}
    error: str | None = None


class Sample:
    """One fetched response, shown to each kind.

    `source` turns a kind name and options into a validated source (the caller's config
    validation), so an invalid selector given by the user is a usage error, never a crash.
    """

    def __init__(self, fetched: Fetched, base: SourceView, source: Callable[[str, dict[str, Any]], SourceView]) -> None:
        self.fetched = fetched
        self.base = base
        self._source = source

    @cached_property
    def text(self) -> str:
        from watcher.extract.markup import text_of

        return text_of(self.fetched, self.base)

    @cached_property
    def format(self) -> Format:
        """What the body looks like, from its content type and its first characters."""
        content_type = self.fetched.content_type.lower()
        head = self.text[:2000].lstrip()
        if "json" in content_type or head.startswith(("{", "[")):
            return "json"
        if "rss" in content_type or "atom" in content_type or _FEED.search(head):
            return "feed"
        if "html" not in content_type and "<" not in head:
            return "text"  # no markup at all: CSV, plain text
        return "html"

    @cached_property
    def data(self) -> Any:
        """The body as JSON (an ExtractError when it is not JSON)."""
        from watcher.extract.markup import load_json

        return load_json(self.fetched, self.base)

    def source(self, kind: str, options: dict[str, Any]) -> SourceView:
        """A source of this URL read as `kind` with `options`, validated (ConfigError names the bad option)."""
        return self._source(kind, options)

    def extract(self, kind: KindClass, options: dict[str, Any]) -> list[Item]:
        """The items `kind` with `options` reads from this response."""
        return kind().extract(self.fetched, self.source(kind.name, options))
