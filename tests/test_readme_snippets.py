"""The README's configuration snippets are read by the real loaders and run (as urlwatch tests its filter docs).

Every ```toml block of README.md (and alerts/templates/README.md) is sorted by what it holds:
`[[source]]`/`[settings]`/`[defaults]`/`[[expect]]` is a sources.toml, `[[route]]`/`[delivery]`/
`[[digest]]` a routes.toml, `[labels.*]`/`[scoring]`/`[gate]` a user lexicon. A block that is a
fragment on purpose says so on its first line (`# fragment: lines of a [[source]], each on its own`
validates each line as a key of a source). A block that is none of these fails the first test, so
no snippet is silently untested. Sources whose snapshot is in tests/fixtures/sources/ are checked
against it on a loopback server by `watcher check`, exactly as written but for the URL.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES

from watcher.config.sources import load_config, parse_config
from watcher.core.models import NewEvent
from watcher.notify.routes import Router, load_routes

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "alerts" / "templates" / "README.md"]
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_TABLE = re.compile(r"^\[\[?([\w.-]+)\]\]?", re.MULTILINE)
SOURCES, ROUTES, LEXICON = {"source", "settings", "defaults", "expect"}, {"route", "delivery", "digest"}, {"scoring"}
LEXICON_PREFIXES = ("labels", "gate", "model", "severity", "background")
FRAGMENT_OF_A_SOURCE = "# fragment: lines of a [[source]], each on its own"


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    lang: str
    text: str
    following: str  # the text after the block, up to the next block's end (a console example that runs it)

    def __str__(self) -> str:
        return f"{self.doc.name}:{self.line}"

    @property
    def what(self) -> str:
        first = self.text.split("\n", 1)[0]
        if first.startswith("# fragment"):
            return "source fragment" if first == FRAGMENT_OF_A_SOURCE else "fragment"
        tables = {name.split(".")[0] for name in _TABLE.findall(self.text)}
        if tables & SOURCES:
            return "sources"
        if tables & ROUTES:
            return "routes"
        if tables & LEXICON or any(name.startswith(LEXICON_PREFIXES) for name in tables):
            return "lexicon"
        return "unknown"


def blocks(lang: str) -> list[Block]:
    found = []
    for doc in DOCS:
        text = doc.read_text("utf-8")
        matches = list(_FENCE.finditer(text))
        for index, match in enumerate(matches):
            if match.group(1) == lang:
                following = text[match.end() : matches[index + 1].end()] if index + 1 < len(matches) else ""
                line = text.count("\n", 0, match.start()) + 1
                found.append(Block(doc, line, lang, match.group(2), following))
    return found


def of(what: str) -> list[Block]:
    return [block for block in blocks("toml") if block.what == what]


def test_every_toml_block_is_read_by_a_loader():
    found = blocks("toml")
    assert len(found) >= 6, "the fences are found"
    assert [str(block) for block in found if block.what in ("unknown", "fragment")] == []


def _expected_titles(name: str) -> list[str]:
    data = json.loads((FIXTURES / "sources" / name / "expected.json").read_text("utf-8"))
    return [item["title"] for item in (data["items"] if isinstance(data, dict) else data)]


@pytest.mark.parametrize("block", of("sources"), ids=str)
def test_sources_block_is_valid_and_checks_against_its_snapshot(block, project, site):
    data = tomllib.loads(block.text)
    text = block.text
    if "expect" in data and "source" not in data:  # [[expect]] entries name the shipped sources
        text = (ROOT / "sources.toml").read_text("utf-8").split("\n[[expect]]\n", 1)[0] + "\n" + text
    parse_config(tomllib.loads(text), Path("README.md"))  # raises ConfigError naming what is wrong
    entries = data.get("source", [])
    if not entries:
        return
    for entry in entries:
        snapshot = FIXTURES / "sources" / entry["name"]
        assert snapshot.is_dir(), f"{block}: no snapshot in tests/fixtures/sources/ for {entry['name']!r}"
        site.add_fixture(f"/{entry['name']}", snapshot)
        text = text.replace(f'url = "{entry["url"]}"', f'url = "{site.url("/" + entry["name"])}"', 1)
    project.write_sources(text)
    assert len(load_config(project.sources).sources) == len(entries)
    result = project.cli("check", "--no-notify")
    assert result.exit_code == 0, result.output
    from watcher.store import Store

    store = Store.open(project.state)
    try:
        rows = store.reports.source_rows()
    finally:
        store.close()
    for entry in entries:
        row = rows[entry["name"]]
        assert row["last_status"] == "baseline", (entry["name"], row.get("last_error"))
        expected = _expected_titles(entry["name"])
        if "match" in entry:  # the snippet's own terms keep some of the snapshot's items and leave others out
            left_out = json.loads((FIXTURES / "sources" / entry["name"] / "left_out.json").read_text("utf-8"))
            assert 0 < row["item_count"] < len(expected) + len(left_out)
        else:
            assert row["item_count"] == len(expected)


@pytest.mark.parametrize("block", of("source fragment"), ids=str)
def test_fragment_lines_are_keys_of_a_source(block):
    lines = [line for line in block.text.splitlines() if line.strip() and not line.startswith("#")]
    assert lines
    for line in lines:
        entry = {"name": "fragment", "url": "https://example.org/list", "kind": "html", "item": "li"}
        entry.update(tomllib.loads(line))
        parse_config({"source": [entry]}, Path(f"{block}"))


@pytest.mark.parametrize("block", of("routes"), ids=str)
def test_routes_block_loads_and_routes_the_readme_source(block, tmp_path):
    (tmp_path / "routes.toml").write_text(block.text, "utf-8")
    routes = load_routes(tmp_path)
    [sources_block] = [b for b in of("sources") if "[[source]]" in b.text and 'tags = ["china"' in b.text]
    source = parse_config(tomllib.loads(sources_block.text), Path("README.md")).sources[0]
    router = Router(routes)
    quota = NewEvent(source=source.name, label="quota", severity="high", title="关于下达稀土开采总量控制指标的通知")
    assert router(quota, source) == [("procurement", "immediate", None)]
    market = NewEvent(source=source.name, label="market", severity="low", title="Prices")
    assert router(market, source) == []  # no route of the snippet takes low market news


@pytest.mark.parametrize("block", of("lexicon"), ids=str)
def test_lexicon_block_loads_and_its_example_prints_what_the_readme_shows(block, project, monkeypatch):
    from watcher.analyze.lexicon import load_lexicon

    name = block.text.split("\n", 1)[0].removeprefix("# ").strip()
    assert name.endswith(".toml"), f"{block}: the first line names the file, e.g. `# my_rules.toml`"
    (project.root / name).write_text(block.text, "utf-8")
    load_lexicon(project.root / name)
    example = re.search(r"```sh\n\$ watcher (.+?)\n(.*?)```", block.following, re.DOTALL)
    assert example, f"{block}: a console example follows the lexicon"
    import shlex

    monkeypatch.chdir(project.root)
    result = project.cli(*shlex.split(example.group(1)))
    assert result.exit_code == 0, result.output
    shown = example.group(2).strip().splitlines()
    assert result.output.splitlines()[: len(shown)] == shown


@pytest.mark.parametrize("block", blocks("yaml"), ids=str)
def test_channels_block_loads(block, tmp_path, monkeypatch):
    from watcher.notify.channels import load_channels

    for name in set(re.findall(r"\$\{(\w+)\}", block.text)):
        monkeypatch.setenv(name, "json://127.0.0.1:9/hook" if "URL" in name else "secret")
    (tmp_path / "apprise.yml").write_text(block.text, "utf-8")
    assert load_channels(tmp_path).tags() == ["digest", "ops", "procurement"]
