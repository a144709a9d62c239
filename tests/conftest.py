"""Shared fixtures: a loopback site, a project directory, and the CLI run in-process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).parent))

from loopback import Site  # tests/loopback.py, the loopback server

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.close()


class Project:
    """A temporary project: sources.toml, state/ and alerts/ in one directory, and the CLI pointed at them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sources = root / "sources.toml"
        self.state = root / "state"
        self.alerts = root / "alerts"
        self.alerts.mkdir()

    def write_sources(self, text: str, settings: str = 'host_interval = "0s"') -> Path:
        header = f"[settings]\n{settings}\n\n" if settings and "[settings]" not in text else ""
        self.sources.write_text(header + text, "utf-8")
        return self.sources

    def cli(self, *args: str, input: str | None = None) -> Result:
        from watcher.cli import cli

        base = ["--sources", str(self.sources), "--state", str(self.state), "--alerts", str(self.alerts)]
        return CliRunner().invoke(cli, [*base, *args], input=input, catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def source_entry(name: str, url: str, kind: str = "html", **options: object) -> str:
    """A [[source]] table in TOML, for tests that build sources.toml on the fly."""
    import json

    lines = ["[[source]]", f"name = {json.dumps(name)}", f"url = {json.dumps(url)}", f"kind = {json.dumps(kind)}"]
    for key, value in options.items():
        lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines) + "\n\n"


def _toml(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)
