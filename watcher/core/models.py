"""Plain values passed between the stages of a check.

Stages exchange these dataclasses and nothing else, so each stage can be
tested on its own and none reaches into another's internals.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ChangeKind = Literal["new", "changed", "removed"]
CheckStatus = Literal["ok", "unchanged", "baseline", "error", "broken"]


def content_hash(*parts: str | None) -> str:
    """A short stable hash of text parts, used to notice edits of an item."""
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update((part or "").encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Validators:
    """What a server told us last time, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(slots=True)
class Fetched:
    """One HTTP response as the extractors need it."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    content: bytes = b""
    elapsed: float = 0.0
    not_modified: bool = False
    text: str | None = None
    charset: str | None = None
    charset_source: str | None = None  # forced | header | bom | meta | detected | fallback

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def body_hash(self) -> str:
        return hashlib.blake2b(self.content, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a watched page: a notice, a feed entry, a filing, a whole page."""

    id: str
    title: str
    url: str
    published: str | None = None  # ISO date or date-time
    text: str = ""

    @property
    def hash(self) -> str:
        return content_hash(self.title, self.url, self.text)


@dataclass(frozen=True, slots=True)
class Change:
    """An item that appeared, was edited or left the page since the last check."""

    source: str
    change: ChangeKind
    item: Item
    previous_text: str | None = None
    diff: str | None = None  # added/removed lines for `page` sources

    @property
    def analysis_text(self) -> str:
        """The words that are new to the reader: what classification should read."""
        if self.diff is not None:
            return "\n".join(line[2:] for line in self.diff.splitlines() if line.startswith("+ "))
        return self.item.text


@dataclass(slots=True)
class Analysis:
    """What classification and fact extraction made of a change."""

    label: str
    severity: str
    matched: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    score: float = 0.0


@dataclass(slots=True)
class CheckResult:
    """The outcome of checking one source once, for printing and for metrics."""

    source: str
    status: CheckStatus
    started_at: str
    duration: float
    http_status: int | None = None
    bytes: int = 0
    items: int = 0
    changes: list[Change] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    filtered: int = 0  # items the source's `match` left out (not stored, not diffed)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for change in self.changes if change.change == kind)


@dataclass(slots=True)
class NewEvent:
    """An event the pipeline wants recorded, with the outbox rows it should get."""

    source: str
    label: str
    severity: str
    title: str
    url: str = ""
    published: str | None = None
    summary: str = ""
    matched: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # cluster keys: the same key within the window = the same story
    # (apprise tag, immediate|digest, not before: the digest's time, or None for now)
    routes: list[tuple[str, str, str | None]] = field(default_factory=list)
    change_index: int | None = None  # position in CheckRecord.changes; None for health events
    kind: str = "change"  # change | health
    # what the store needs to decide whether this sighting joins an earlier event, and whether it upgrades it
    official: bool = False  # seen at a source marked `official`
    page: bool = False  # the source watches one document: each edit with new text is news of its own
    item_id: str = ""
    text_hash: str = ""  # of the words that were new to the reader
    headline: str = ""  # in English (the title itself when it is English; analyze.headline)
    story: dict[str, Any] = field(default_factory=dict)  # what it reports, for story merging (analyze.cluster)


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the next check of a source needs to know about the previous ones."""

    name: str
    config_hash: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    baselined: bool = False
    failures: int = 0
    item_count: int = 0
    last_status: str | None = None
    broken_since: str | None = None
    broken_alerted_at: str | None = None

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


@dataclass(slots=True)
class CheckRecord:
    """Everything one check learned, written in a single transaction."""

    source: str
    url: str
    kind: str
    config_hash: str
    started_at: str
    duration: float
    status: CheckStatus
    http_status: int | None = None
    bytes: int = 0
    error: str | None = None
    validators: Validators | None = None  # None keeps the stored ones
    body_hash: str | None = None
    items: list[Item] | None = None  # None: the item set was not read this time
    changes: list[Change] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    baselined: bool = False
    filtered: int = 0  # items read but left out by the source's `match`
    failures: int = 0
    broken_since: str | None = None
    broken_alerted_at: str | None = None


class DetailView(Protocol):
    """How a source reads its items' own pages (config's `detail` table)."""

    @property
    def selector(self) -> str | None: ...
    @property
    def max(self) -> int: ...
    @property
    def follow(self) -> str | None: ...
    @property
    def hosts(self) -> tuple[str, ...]: ...


class SourceView(Protocol):
    """What extraction reads of a source; `config.sources.Source` satisfies it, so extract/ never imports config."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def encoding(self) -> str | None: ...
    @property
    def options(self) -> Any: ...
    @property
    def detail(self) -> DetailView | None: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def timeout(self) -> float: ...
    @property
    def max_bytes(self) -> int: ...
    @property
    def user_agent(self) -> str | None: ...
    @property
    def retries(self) -> int: ...
    @property
    def hosts(self) -> tuple[str, ...]: ...
