"""A table of cases per kind, each run the same way (as Apprise's AppriseURLTester runs a table per plugin).

A case is a response body, the options of a `[[source]]` entry and what must come of it: the items
(each a subset of the Item's fields, `{base}` standing for the loopback site's URL), an ExtractError,
or a configuration error naming the key. Every case is served by a real loopback server, validated
through watcher.config like sources.toml, fetched by the real Fetcher and read by the kind; the
invariants every kind keeps are checked on every case (unique ids, a title on every item, dates
in one of the two stored forms, a document kind's one item at most). `fits` says whether
`watcher sources try` without --kind tries the kind on that body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from watcher.config.sources import parse_config
from watcher.core.errors import ConfigError, ExtractError
from watcher.extract.registry import Kind, get_kind
from watcher.extract.trial import Hints, Sample
from watcher.fetch.http import Fetcher

_PUBLISHED = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")


@dataclass(frozen=True)
class Case:
    name: str
    body: str | bytes
    options: dict[str, Any] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    items: list[dict[str, Any]] | None = None  # every item, in order (a subset of each one's fields)
    first: list[dict[str, Any]] | None = None  # the first items only
    count: int | None = None
    error: str | None = None  # a regex the ExtractError must match
    config_error: str | None = None  # a regex the configuration error must match
    fits: bool | None = None  # whether `sources try` without --kind tries the kind on this body


class KindTester:
    """Runs a kind's table of cases against a loopback site."""

    def __init__(self, kind: str) -> None:
        found = get_kind(kind)
        assert found is not None, f"no kind {kind!r} is registered"
        self.kind: type[Kind] = found

    def check_declarations(self) -> None:
        """What every kind declares about itself, so that config, `watcher kinds` and `sources try` can use it."""
        kind = self.kind
        assert kind.describe(), f"{kind.name}: no docstring for `watcher kinds`"
        reference = "\n".join(kind.reference())
        for option, info in kind.Options.model_fields.items():
            assert info.description, f"{kind.name}: option {option!r} has no description"
            assert f"  {option}" in reference, f"{kind.name}: `watcher kinds` does not show {option!r}"
        assert isinstance(kind.is_list, bool) and isinstance(kind.empty_ok, bool)

    def run(self, site: Any, case: Case) -> list[Any]:
        path = f"/{self.kind.name}/{case.name}"
        site.add(path, case.body, content_type=case.content_type)
        entry = {"name": "case", "url": site.url(path), "kind": self.kind.name, **case.options}
        if case.config_error is not None:
            with pytest.raises(ConfigError) as caught:
                parse_config({"source": [entry]}, Path("cases.toml"))
            assert re.search(case.config_error, str(caught.value)), str(caught.value)
            assert "cases.toml: [[source]] 'case' (entry 1)" in str(caught.value)
            return []
        source = parse_config({"source": [entry]}, Path("cases.toml")).sources[0]
        fetched = Fetcher(user_agent="kind-cases", host_interval=0).fetch(source.url)
        if case.fits is not None:
            sample = Sample(fetched, source, lambda kind, options: source)
            assert self.kind.fits(sample, Hints()) is case.fits, f"{case.name}: fits"
        if case.error is not None:
            with pytest.raises(ExtractError) as caught:
                self.kind().extract(fetched, source)
            assert re.search(case.error, str(caught.value)), str(caught.value)
            return []
        items = self.kind().extract(fetched, source)
        self._check(items, case, site.url(""))
        return items

    def _check(self, items: list[Any], case: Case, base: str) -> None:
        assert len({item.id for item in items}) == len(items), f"{case.name}: ids are unique within a response"
        for item in items:
            assert item.id and isinstance(item.title, str) and item.title, f"{case.name}: id and title"
            assert item.published is None or _PUBLISHED.match(item.published), item.published
        if not self.kind.is_list:
            assert len(items) <= 1, f"{case.name}: a document kind yields one item at most"
        if case.count is not None:
            assert len(items) == case.count, f"{case.name}: count"
        wanted = case.items if case.items is not None else case.first
        if case.items is not None:
            assert len(items) == len(case.items), f"{case.name}: {[item.title for item in items]}"
        for item, want in zip(items, wanted or [], strict=False):
            for key, value in want.items():
                if isinstance(value, str):
                    value = value.replace("{base}", base)
                assert getattr(item, key) == value, f"{case.name}: {key}"
