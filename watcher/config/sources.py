"""sources.toml -> validated, immutable Source values.

Every mistake becomes a message naming the file, the entry (its name, or its
index when the name is missing) and the key, and saying what is allowed. All
problems are collected, so an analyst fixes the file in one pass.
"""

from __future__ import annotations

import codecs
import difflib
import functools
import hashlib
import json
import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from watcher.config import messages
from watcher.config.expect import Expect, parse_expectations
from watcher.config.match import Match
from watcher.core.errors import ConfigError
from watcher.core.hosts import HostPattern
from watcher.core.labels import Labels, load_labels, shipped
from watcher.core.units import parse_duration, parse_size
from watcher.extract.registry import KindOptions, get_kind, kind_names

DEFAULT_USER_AGENT = "watcher/0.1 (+https://github.com/watcher-alerts/watcher; set [settings] user_agent)"
LEVELS = ("high", "medium", "low")
Level = Literal["high", "medium", "low"]
Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]
# an e-mail at a domain reserved for examples (RFC 2606, RFC 6761): nobody reads that mailbox
_PLACEHOLDER = re.compile(r"[\w.+-]+@(?:[\w-]+\.)*(?:example\.(?:org|com|net)|example|invalid|test)(?![\w.-])", re.I)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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
        return _lexicon_path(self.settings, self.path)

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


_SOURCE_KEYS = {"name", "url", "kind"}


def load_config(path: Path | str) -> Config:
    """Read and validate a sources.toml; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found", hint="create it (see README) or pass --sources FILE") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text", hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: TOML syntax error: {error}") from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Validate already-parsed TOML data (also used by the demo and tests)."""
    problems: list[str] = []
    unknown = sorted(set(data) - {"settings", "defaults", "source", "expect"})
    for key in unknown:
        problems.append(
            f"{path}: unknown top-level key {key!r}{_suggest(key, ['settings', 'defaults', 'source', 'expect'])}; "
            "allowed: [settings], [defaults], [[source]], [[expect]]"
        )

    settings = _validate(Settings, data.get("settings", {}), f"{path}: [settings]", problems) or Settings()
    labels = shipped()
    try:
        labels = load_labels(_lexicon_path(settings, path))
    except ConfigError as error:
        problems.append(f"{path}: [settings]: key 'lexicon': {error}")
    context = {"labels": labels}
    defaults_raw = data.get("defaults", {})
    if not isinstance(defaults_raw, dict):
        problems.append(f"{path}: [defaults] must be a table")
        defaults_raw = {}
    defaults = _validate(Common, defaults_raw, f"{path}: [defaults]", problems, context)
    defaults_raw = defaults_raw if defaults is not None else {}

    entries = data.get("source", [])
    if not isinstance(entries, list):
        problems.append(f"{path}: 'source' must be an array of tables: write each entry as [[source]]")
        entries = []
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries, start=1):
        source = _parse_source(entry, index, defaults_raw, path, problems, context)
        if source is None:
            continue
        if source.name in seen:
            problems.append(
                f"{path}: [[source]] {source.name!r} (entry {index}): key 'name': duplicate name, "
                f"already used by entry {seen[source.name]}; names must be unique"
            )
            continue
        seen[source.name] = index
        sources.append(source)
    names = [source.name for source in sources]
    validate = functools.partial(_validate, context={"labels": labels})
    expectations = parse_expectations(data.get("expect", []), path, names, problems, validate)
    if problems:
        raise ConfigError(problems)
    return Config(path=path, settings=settings, sources=tuple(sources), labels=labels, expectations=expectations)


def _lexicon_path(settings: Settings, path: Path) -> Path | None:
    lexicon = settings.lexicon
    if lexicon is not None and not lexicon.is_absolute():
        return path.parent / lexicon
    return lexicon


def _parse_source(
    entry: Any, index: int, defaults: dict[str, Any], path: Path, problems: list[str], context: dict[str, Any]
) -> Source | None:
    if not isinstance(entry, dict):
        problems.append(f"{path}: [[source]] entry {index} must be a table")
        return None
    name = entry.get("name")
    where = f"{path}: [[source]] " + (f"{name!r} (entry {index})" if isinstance(name, str) else f"entry {index}")
    before = len(problems)
    for key in ("name", "url", "kind"):
        if key not in entry:
            problems.append(f"{where}: missing required key {key!r}")
    if isinstance(name, str) and not _NAME.match(name):
        problems.append(
            f"{where}: key 'name': {name!r} is not a valid name; use letters, digits, '.', '-' or '_' "
            "(at most 64 characters)"
        )
    url = entry.get("url")
    if "url" in entry and not _valid_url(url):
        problems.append(f"{where}: key 'url': {url!r} is not an http(s) URL with a host")
    kind_name = entry.get("kind")
    kind = get_kind(kind_name) if isinstance(kind_name, str) else None
    if "kind" in entry and kind is None:
        problems.append(
            f"{where}: key 'kind': unknown kind {kind_name!r}{_suggest(str(kind_name), kind_names())}; "
            f"allowed: {', '.join(kind_names())}"
        )
    if len(problems) > before:
        return None

    common_keys = set(Common.model_fields)
    option_keys = set(kind.Options.model_fields)
    common = {k: v for k, v in entry.items() if k in common_keys}
    options = {k: v for k, v in entry.items() if k in option_keys}
    for key in sorted(set(entry) - common_keys - option_keys - _SOURCE_KEYS):
        allowed = [*sorted(option_keys), "name", "url", "kind", *sorted(common_keys)]
        problems.append(
            f"{where}: unknown key {key!r}{_suggest(key, allowed)}; kind {kind_name!r} accepts "
            f"{', '.join(sorted(option_keys)) or 'no options'}, and every source accepts "
            f"{', '.join(sorted(common_keys))}"
        )
    options_model = _validate(kind.Options, options, where, problems)
    if options_model is None or len(problems) > before:
        return None
    merged = {**defaults, **common, "name": name, "url": url, "kind": kind_name, "options": options_model}
    return _validate(Source, merged, where, problems, context)


def _validate(
    model: type[BaseModel], data: Any, where: str, problems: list[str], context: dict[str, Any] | None = None
) -> Any:
    if not isinstance(data, dict):
        problems.append(f"{where} must be a table")
        return None
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        fields = model.model_fields
        seen: set[str] = set()
        for item in error.errors():
            loc = messages.key_of(item["loc"])
            key = ".".join(loc) or "?"
            if item["type"] == "extra_forbidden":
                allowed = sorted(fields)
                problems.append(
                    f"{where}: unknown key {key!r}{_suggest(loc[-1], allowed)}; allowed: {', '.join(allowed)}"
                )
                continue
            if key in seen:  # a union (severity) reports once per member: the first says it
                continue
            seen.add(key)
            top = fields.get(loc[0]) if loc else None
            field = messages.field_of(model, loc)
            described = f" ({top.description})" if top is not None and top.description else ""
            said = messages.message(item, field)
            shown = "" if item["type"] == "missing" else _shown(loc, item.get("input"), field)
            problems.append(f"{where}: key {key!r}: {said}{shown}{described}")
        return None


def _shown(loc: list[str], value: Any, field: Any) -> str:
    """The offending value, unless it may hold a secret (headers carry tokens) or is too long to help."""
    if loc and loc[0] in ("headers", "user_agent"):
        return ""
    text = messages.shown_value(value, field)
    return f"; got {text}" if len(text) <= 80 else f"; got a {type(value).__name__}"


def _valid_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
