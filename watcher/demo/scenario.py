"""The demo's story as data: which pages exist, what they show at first, and what each step adds.

Everything lives in `watcher/data/demo/` (package data), so the story is
edited without touching code: `scenario.toml` (the steps and the rows),
`sources.toml` (the shipped entries it watches), the list templates and the
pages behind the rows. This module only reads and validates them, and renders
a source's page for a given list of rows; `watcher.demo.server` serves it.
"""

from __future__ import annotations

import html
import json
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from string import Template
from typing import Any
from urllib.parse import urljoin, urlsplit

from watcher.core.errors import WatcherError
from watcher.core.labels import shipped

DATA = files("watcher") / "data" / "demo"
LABELS = shipped().relevant  # what a step may expect
_SHORT = 34  # MIIT cuts a link's text after this many characters and adds "..."
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".json": "application/json;charset=UTF-8",
}


class ScenarioError(WatcherError):
    """The demo's data files are inconsistent (a broken edit of scenario.toml)."""


@dataclass(frozen=True)
class Row:
    """One item on a list page, and the file of its own page if it has one."""

    source: str
    fields: dict[str, str]
    page: str | None = None

    @property
    def title(self) -> str:
        return self.fields.get("title") or self.fields.get("accession") or self.fields.get("href", "")


@dataclass(frozen=True)
class SourcePage:
    """How one watched page is drawn: its real URL, its template and its row template."""

    name: str
    url: str
    base: str  # what its rows' links resolve against: base_url, else url
    template: str
    json_template: bool
    row: str
    content_type: str
    fields: dict[str, str] = field(default_factory=dict)

    def render(self, rows: list[Row]) -> bytes:
        """The page with these rows, newest first."""
        drawn = "".join(Template(self.row).substitute(_escaped(row.fields)) for row in rows)
        values = _escaped({**self.fields, **(rows[0].fields if rows else {})})
        values["rows"] = drawn
        if not self.json_template:
            return Template(self.template).substitute(values).encode("utf-8")
        document = _fill_json(json.loads(self.template), values)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def page_url(self, row: Row) -> str:
        return urljoin(self.base, row.fields["href"])


@dataclass(frozen=True)
class Step:
    when: str
    say: str
    expect: tuple[str, ...]
    publish: tuple[Row, ...]


@dataclass(frozen=True)
class Scenario:
    title: str
    sources_toml: str  # the demo's sources.toml, with the sites' real URLs
    pages: dict[str, SourcePage]  # by source name, in the order of scenario.toml
    baseline: tuple[Row, ...]
    steps: tuple[Step, ...]
    documents: tuple[tuple[str, str], ...]  # (real URL, data file) served from the start

    @property
    def hosts(self) -> list[str]:
        """Every site the demo mirrors: the watched pages' hosts and those of the pages behind them."""
        urls = [page.url for page in self.pages.values()] + [url for url, _ in self.documents]
        urls += [self.pages[row.source].page_url(row) for row in self.all_rows() if row.page]
        return list(dict.fromkeys(urlsplit(url).hostname or "" for url in urls))

    def all_rows(self) -> list[Row]:
        return [*self.baseline, *(row for step in self.steps for row in step.publish)]


def read_bytes(name: str, root: Traversable = DATA) -> bytes:
    """A data file of the demo, by its path relative to watcher/data/demo."""
    return _join(root, name).read_bytes()


def content_type(name: str) -> str:
    suffix = "." + name.rsplit(".", 1)[-1].lower()
    return _TYPES.get(suffix, "application/octet-stream")


def load_scenario(root: Traversable = DATA) -> Scenario:
    """Read and check scenario.toml and sources.toml; every row is rendered once, so a bad field fails here."""
    try:
        story = tomllib.loads((root / "scenario.toml").read_text("utf-8"))
        sources_toml = (root / "sources.toml").read_text("utf-8")
        entries = {entry["name"]: entry for entry in tomllib.loads(sources_toml).get("source", [])}
    except (OSError, tomllib.TOMLDecodeError, KeyError) as error:
        raise ScenarioError(f"demo data: {error}") from None
    pages: dict[str, SourcePage] = {}
    baseline: list[Row] = []
    for table in story.get("source", []):
        name = table["name"]
        entry = entries.get(name)
        if entry is None:
            raise ScenarioError(f"demo scenario: source {name!r} is not in the demo's sources.toml")
        template = _join(root, table["list"]).read_text("utf-8")
        pages[name] = SourcePage(
            name=name,
            url=entry["url"],
            base=entry.get("base_url") or entry["url"],
            template=template,
            json_template=table["list"].endswith(".json"),
            row=table["row"],
            content_type=table["content_type"],
            fields=dict(table.get("fields", {})),
        )
        baseline += [_row(name, item) for item in table.get("item", [])]
    steps = []
    for number, table in enumerate(story.get("step", []), start=1):
        rows = tuple(_row(item.get("source", ""), item) for item in table.get("publish", []))
        expect = tuple(table.get("expect", []))
        unknown = [label for label in expect if label not in LABELS]
        if unknown or any(row.source not in pages for row in rows):
            raise ScenarioError(
                f"demo scenario: step {number}: unknown label or source "
                f"({', '.join(unknown) or ', '.join(row.source for row in rows)})"
            )
        steps.append(Step(when=str(table["when"]), say=table["say"], expect=expect, publish=rows))
    documents = tuple((document["url"], document["file"]) for document in story.get("document", []))
    scenario = Scenario(
        title=story.get("title", "watcher demo"),
        sources_toml=sources_toml,
        pages=pages,
        baseline=tuple(baseline),
        steps=tuple(steps),
        documents=documents,
    )
    _check(scenario, root)
    return scenario


def _row(source: str, table: dict[str, Any]) -> Row:
    fields = {key: str(value) for key, value in table.items() if key not in ("source", "page")}
    if "title" in fields:
        title = fields["title"]
        fields.setdefault("short", title if len(title) <= _SHORT else title[:_SHORT] + "...")
    return Row(source=source, fields=fields, page=table.get("page"))


def _check(scenario: Scenario, root: Traversable) -> None:
    for page in scenario.pages.values():
        rows = [row for row in scenario.all_rows() if row.source == page.name]
        try:
            page.render(rows)
        except (KeyError, ValueError) as error:
            raise ScenarioError(f"demo scenario: source {page.name!r}: the templates need field {error}") from None
    for name in [row.page for row in scenario.all_rows() if row.page] + [file for _, file in scenario.documents]:
        if not _join(root, name).is_file():
            raise ScenarioError(f"demo scenario: missing data file {name!r}")


def _escaped(values: dict[str, str]) -> dict[str, str]:
    return {key: html.escape(value, quote=True) for key, value in values.items()}


def _fill_json(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return Template(value).substitute(values) if "${" in value else value
    if isinstance(value, list):
        return [_fill_json(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _fill_json(item, values) for key, item in value.items()}
    return value


def _join(root: Traversable, name: str) -> Traversable:
    for part in name.split("/"):
        root = root / part
    return root
