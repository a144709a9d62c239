"""Plain values passed between the stages of a check.

Stages exchange these dataclasses and nothing else, so each stage can be
tested on its own and none reaches into another's internals.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

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

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for change in self.changes if change.change == kind)
