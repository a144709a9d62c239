"""The validated, immutable values of sources.toml: Settings, the keys every source has, Source and Config.

pydantic models whose fields carry the descriptions that `watcher kinds`, the README tests and the
error messages show; reading the file and collecting its problems is watcher.config.sources.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from watcher.config.expect import Expect
from watcher.config.fields import LEVELS, Duration, Level, Size
from watcher.config.match import Match
from watcher.core.hosts import HostPattern
from watcher.core.labels import Labels, shipped
from watcher.extract.registry import KindOptions

DEFAULT_USER_AGENT = "watcher/0.1 (+https://github.com/watcher-alerts/watcher; set [settings] user_agent)"
# an e-mail at a domain reserved for examples (RFC 2606, RFC 6761): nobody reads that mailbox
_PLACEHOLDER = re.compile(r"[\w.+-]+@(?:[\w-]+\.)*(?:example\.(?:org|com|net)|example|invalid|test)(?![\w.-])", re.I)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Detail(BaseModel):
    """Fetch each new item's own page once and read its main text (announcement lists)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    selector: str | None = Field(None, description="CSS selector of the main text; default: automatic extraction")
    max: int = Field(5, ge=1, le=50, description="at most this many detail pages per check")
    follow: str | None = Field(
        None,
        description="CSS selector of a link on the detail page to follow once more; "
        "that page's main text is read instead (EDGAR index -> EX-99.1)",
    )
    hosts: tuple[str, ...] = Field(
        (),
        description="other sites its items' pages may be on, e.g. ['*.sec.gov', 'news.example.org:8443', '*']",
    )

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _host_patterns(value)

    @field_validator("follow")
    @classmethod
    def _follow_css(cls, value: str | None) -> str | None:
        from watcher.extract.markup import valid_css

        return valid_css(value) if value is not None else None


def _host_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """Host patterns as written, each checked (`*.sec.gov`, `example.org:8443`, `*`)."""
    for pattern in patterns:
        HostPattern.parse(pattern)  # raises ValueError with what is allowed
    return patterns


class Settings(BaseModel):
    """The [settings] table: process-wide choices."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1, description="User-Agent header; SEC needs a contact")
    host_interval: Duration = Field(1.0, ge=0, description="minimum time between two requests to one host")
    lexicon: Path | None = Field(None, description="a user lexicon TOML that extends the shipped rules")
    failure_threshold: int = Field(3, ge=1, description="failed checks in a row before a 'source broken' alert")
    retention: Duration = Field(90 * 86400, gt=0, description="how long the check log and sent deliveries are kept")
    history_retention: Duration = Field(
        730 * 86400,
        gt=0,
        description="how long events, their changes and items gone from their page are kept "
        "(never an event whose delivery is pending)",
    )
    timezone: str = Field(
        "UTC", description="time zone of the times shown to people (CLI tables, alerts), e.g. 'Europe/Berlin'"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from watcher.core.timestamps import zone

        zone(value)
        return value


class Common(BaseModel):
    """Keys every source accepts, and that [defaults] may set for all of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    interval: Duration = Field(3600.0, ge=1, description="time between checks, e.g. '90s', '30m', '6h', '1d'")
    timeout: Duration = Field(30.0, gt=0, description="total deadline of one fetch")
    headers: dict[str, str] = Field(default_factory=dict, description="extra request headers")
    encoding: str | None = Field(None, description="force this charset, overriding header, meta and detection")
    tags: tuple[str, ...] = Field((), description="free labels that alert routes can match")
    enabled: bool = Field(True, strict=True, description="false keeps the entry but never checks it")
    official: bool = Field(False, strict=True, description="a government or company primary source (raises severity)")
    baseline: bool = Field(True, strict=True, description="the first check records items silently")
    user_agent: str | None = Field(None, description="User-Agent for this source only")
    max_bytes: Size = Field(10_000_000, description="cap on the response body, e.g. '10MB'")
    retries: int = Field(3, ge=0, le=10, description="retries on connection errors, 429 and 5xx")
    notify: tuple[str, ...] = Field((), description="extra Apprise tags that receive this source's alerts")
    publisher: str | None = Field(None, description="short name shown in alert titles, e.g. 'MIIT'")
    severity: Level | dict[str, Level] | None = Field(None, description="fixed severity, or a table label -> level")
    detail: Detail | None = Field(None, description="fetch new items' own pages: true or {selector, max}")
    match: Match | None = Field(None, description="keep only items with one of these terms or labels; count the rest")
    hosts: tuple[str, ...] = Field(
        (), description="other sites the source's redirects may go to, e.g. ['www.example.net', '*.example.org']"
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r}; use e.g. 'utf-8', 'gb18030', 'big5'") from None
        return value

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _host_patterns(value)

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any, info: ValidationInfo) -> Any:
        """One message for the one key, instead of pydantic's one per member of the union."""
        levels = "'high', 'medium' or 'low'"
        if value is None or value in LEVELS:
            return value
        if isinstance(value, str):
            raise ValueError(f'must be {levels}, or a table label -> level such as {{ market = "low" }}')
        if not isinstance(value, dict):
            raise ValueError(f'must be {levels} in quotes, or a table label -> level such as {{ market = "low" }}')
        labels = (info.context or {}).get("labels") or shipped()
        labels.check(set(value) - {"*"}, "the severity table")
        wrong = sorted(label for label, level in value.items() if level not in LEVELS)
        if wrong:
            raise ValueError(f"the level of {', '.join(wrong)} must be {levels}")
        return value

    @field_validator("detail", mode="before")
    @classmethod
    def _detail_flag(cls, value: Any) -> Any:
        if value is True:
            return {}
        if value is False:
            return None
        return value


#: Keys whose value changes which items a check extracts, or their titles and text: changing one makes
#: the next check a quiet re-baseline instead of reporting every item as changed (`match`: a wider filter must not
#: announce every old item it now keeps). `detail` is not one:
#: detail text goes into the change only, never into the stored item, so editing it floods nothing.
RESHAPING = ("url", "kind", "options", "encoding", "match")


class Source(Common):
    """One validated watch: what to fetch, how to read it, how often."""

    name: str
    url: str
    kind: str
    options: KindOptions

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @cached_property
    def config_hash(self) -> str:
        """Changes when what the source extracts changes, so the next check re-baselines quietly.

        Covers every key in RESHAPING (all kind options: selectors, json_path, base_url, ...). A
        key left at its default is not hashed, so adding a new reshaping key to watcher does not
        re-baseline sources that never set it.
        """
        shape: dict[str, Any] = {"url": self.url, "kind": self.kind, "options": self.options.model_dump(mode="json")}
        for key in RESHAPING:
            value = getattr(self, key)
            if key not in shape and value != Source.model_fields[key].default:
                shape[key] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        return hashlib.sha1(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


class Config(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    path: Path
    settings: Settings
    sources: tuple[Source, ...]
    expectations: tuple[Expect, ...] = ()
    labels: Labels = Field(default_factory=shipped)  # the shipped labels and those of [settings] lexicon

    @property
    def lexicon_path(self) -> Path | None:
        """[settings] lexicon, relative to the directory of sources.toml."""
        return lexicon_path(self.settings, self.path)

    def enabled(self) -> list[Source]:
        return [source for source in self.sources if source.enabled]

    def get(self, name: str) -> Source | None:
        return next((source for source in self.sources if source.name == name), None)

    def placeholder_contacts(self) -> list[str]:
        """Where a User-Agent that enabled sources send still holds a placeholder e-mail (ops@example.org):
        SEC EDGAR wants a real contact, and the shipped file carries one to be replaced."""
        found = []
        enabled = [source for source in self.enabled() if source.host not in _LOOPBACK]  # the demo's mirrors
        if any(source.user_agent is None for source in enabled) and _PLACEHOLDER.search(self.settings.user_agent):
            found.append("[settings] user_agent")
        found += [
            f"[[source]] {source.name!r} user_agent"
            for source in enabled
            if source.user_agent is not None and _PLACEHOLDER.search(source.user_agent)
        ]
        return found


def lexicon_path(settings: Settings, path: Path) -> Path | None:
    lexicon = settings.lexicon
    if lexicon is not None and not lexicon.is_absolute():
        return path.parent / lexicon
    return lexicon
