"""sources.toml -> validated, immutable Source values.

Every mistake becomes a message naming the file, the entry (its name, or its
index when the name is missing) and the key, and saying what is allowed. All
problems are collected, so an analyst fixes the file in one pass. The values
are watcher.config.models; pydantic's errors become lines in watcher.config.problems.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from watcher.config.expect import parse_expectations
from watcher.config.fields import NAME
from watcher.config.models import (
    DEFAULT_USER_AGENT,
    RESHAPING,
    Common,
    Config,
    Detail,
    Settings,
    Source,
    lexicon_path,
)
from watcher.config.problems import suggest, validate
from watcher.core.errors import ConfigError
from watcher.core.labels import load_labels, shipped
from watcher.extract.registry import get_kind, kind_names

__all__ = [
    "DEFAULT_USER_AGENT",
    "RESHAPING",
    "Common",
    "Config",
    "Detail",
    "Settings",
    "Source",
    "load_config",
    "parse_config",
]


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
            f"{path}: unknown top-level key {key!r}{suggest(key, ['settings', 'defaults', 'source', 'expect'])}; "
            "allowed: [settings], [defaults], [[source]], [[expect]]"
        )

    settings = validate(Settings, data.get("settings", {}), f"{path}: [settings]", problems) or Settings()
    labels = shipped()
    try:
        labels = load_labels(lexicon_path(settings, path))
    except ConfigError as error:
        problems.append(f"{path}: [settings]: key 'lexicon': {error}")
    context = {"labels": labels}
    defaults_raw = data.get("defaults", {})
    if not isinstance(defaults_raw, dict):
        problems.append(f"{path}: [defaults] must be a table")
        defaults_raw = {}
    defaults = validate(Common, defaults_raw, f"{path}: [defaults]", problems, context)
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
    validate_labelled = functools.partial(validate, context={"labels": labels})
    expectations = parse_expectations(data.get("expect", []), path, names, problems, validate_labelled)
    if problems:
        raise ConfigError(problems)
    return Config(path=path, settings=settings, sources=tuple(sources), labels=labels, expectations=expectations)


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
    if isinstance(name, str) and not NAME.match(name):
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
            f"{where}: key 'kind': unknown kind {kind_name!r}{suggest(str(kind_name), kind_names())}; "
            f"allowed: {', '.join(kind_names())}"
        )
    if kind is None or len(problems) > before:
        return None

    common_keys = set(Common.model_fields)
    option_keys = set(kind.Options.model_fields)
    common = {k: v for k, v in entry.items() if k in common_keys}
    options = {k: v for k, v in entry.items() if k in option_keys}
    for key in sorted(set(entry) - common_keys - option_keys - _SOURCE_KEYS):
        allowed = [*sorted(option_keys), "name", "url", "kind", *sorted(common_keys)]
        problems.append(
            f"{where}: unknown key {key!r}{suggest(key, allowed)}; kind {kind_name!r} accepts "
            f"{', '.join(sorted(option_keys)) or 'no options'}, and every source accepts "
            f"{', '.join(sorted(common_keys))}"
        )
    options_model = validate(kind.Options, options, where, problems)
    if options_model is None or len(problems) > before:
        return None
    merged = {**defaults, **common, "name": name, "url": url, "kind": kind_name, "options": options_model}
    return validate(Source, merged, where, problems, context)


def _valid_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
