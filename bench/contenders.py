"""The three contenders: how each is started on a fresh state dir, and how its output is judged.

Each contender is an object with a `name`, `unavailable()` (None, or why it
cannot run here: the harness then skips it with that message), `prepare()`
for a fresh state directory, `argv()`/`env()` for one pass, and `verify()`
that turns a pass's output into a list of problems (empty means correct).

What "correct" means per round:
  a (empty state)      watcher, reference: nothing printed (silent baseline);
                       urlwatch: every job reported NEW (that is how it baselines).
  b (nothing changed)  nobody reports anything.
  c (5% changed)       watcher, reference: exactly one `new` line per added item,
                       same source, title and url as the server added, nothing else;
                       urlwatch: CHANGED for exactly the changed pages, and the new
                       link text on a '+' line of the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import urlwatch_env
from pages import AddedItem, link_text, page_encoding

BENCH = Path(__file__).resolve().parent

Round = str  # "a" | "b" | "c"


@dataclass(slots=True)
class Task:
    """What a pass is run against: the sources of one size, and what the server changed before round c."""

    sources_toml: Path
    urls: list[tuple[str, str]]  # (source name, page url)
    added: list[AddedItem] = field(default_factory=list)


def _clean_env(drop_prefixes: tuple[str, ...]) -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(drop_prefixes)}


def _json_lines(stdout: str) -> tuple[list[dict], list[str]]:
    records, other = [], []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            other.append(line)
            continue
        (records if isinstance(value, dict) else other).append(value)
    return records, other


def verify_json_lines(round_: Round, stdout: str, added: list[AddedItem]) -> list[str]:
    """Judge watcher-style output: JSON lines with source, change, id, title, url, published."""
    records, other = _json_lines(stdout)
    problems = [f"stdout line that is not a JSON object: {line[:120]!r}" for line in other[:3]]
    expected = {(item.source, item.title, item.url) for item in added} if round_ == "c" else set()
    got = {(r.get("source"), r.get("title"), r.get("url")) for r in records if r.get("change") == "new"}
    others = [r for r in records if r.get("change") != "new"]
    if round_ == "a" and records:
        problems.append(f"round a should be a silent baseline, got {len(records)} changes, e.g. {records[0]}")
        return problems
    if missing := expected - got:
        problems.append(f"{len(missing)} added items not reported, e.g. {sorted(missing)[0]}")
    if extra := got - expected:
        problems.append(f"{len(extra)} unexpected new items, e.g. {sorted(extra, key=str)[0]}")
    if others:
        problems.append(f"{len(others)} changed/removed records where none were expected, e.g. {others[0]}")
    new_lines = sum(1 for r in records if r.get("change") == "new")
    if new_lines != len(got):
        problems.append(f"{new_lines - len(got)} duplicate new records")
    return problems


class Reference:
    """bench/reference.py, under the same interpreter as the harness (the project venv)."""

    name = "reference"

    def unavailable(self) -> str | None:
        probe = [sys.executable, "-c", "import requests, lxml.html, lxml.cssselect"]
        if subprocess.run(probe, capture_output=True, timeout=60, check=False).returncode:
            return f"{sys.executable} lacks requests/lxml/cssselect: run it from the project venv"
        return None

    def prepare(self, directory: Path, task: Task) -> None:
        directory.mkdir(parents=True)

    def argv(self, directory: Path, task: Task) -> list[str]:
        return [
            sys.executable,
            str(BENCH / "reference.py"),
            "--sources",
            str(task.sources_toml),
            "--state",
            str(directory / "state"),
            "--workers",
            "8",
        ]

    def env(self, directory: Path) -> dict[str, str]:
        return _clean_env(("WATCHER_",))

    def verify(self, round_: Round, stdout: str, task: Task) -> list[str]:
        return verify_json_lines(round_, stdout, task.added)


class Watcher:
    """The real CLI: `watcher --sources S --state D check --json --workers 8 [--no-notify]`."""

    name = "watcher"

    def __init__(self) -> None:
        beside = Path(sys.executable).parent / "watcher"
        self.exe = str(beside) if beside.exists() else "watcher"
        self.no_notify = False

    def unavailable(self) -> str | None:
        try:
            result = subprocess.run(
                [self.exe, "check", "--help"],
                capture_output=True,
                text=True,
                timeout=120,
                env=self.env(None),
                check=False,
            )
        except FileNotFoundError:
            return f"no `watcher` executable next to {sys.executable} or on PATH"
        if result.returncode != 0:
            reason = (result.stderr or result.stdout).strip().splitlines()
            return f"`watcher check --help` exited {result.returncode}: {reason[-1] if reason else 'no output'}"
        missing = [option for option in ("--json", "--workers") if option not in result.stdout]
        if missing:
            return f"`watcher check` has no {', '.join(missing)} option yet"
        self.no_notify = "--no-notify" in result.stdout
        return None

    def prepare(self, directory: Path, task: Task) -> None:
        (directory / "alerts").mkdir(parents=True)  # no channels: nothing can be delivered anywhere

    def argv(self, directory: Path, task: Task) -> list[str]:
        argv = [
            self.exe,
            "--sources",
            str(task.sources_toml),
            "--state",
            str(directory / "state"),
            "--alerts",
            str(directory / "alerts"),
            "check",
            "--json",
            "--workers",
            "8",
        ]
        return [*argv, "--no-notify"] if self.no_notify else argv

    def env(self, directory: Path | None) -> dict[str, str]:
        return _clean_env(("WATCHER_",))

    def verify(self, round_: Round, stdout: str, task: Task) -> list[str]:
        return verify_json_lines(round_, stdout, task.added)


class Urlwatch:
    """urlwatch 2.29 from its own venv, one job per page, css + html2text filters."""

    name = "urlwatch"

    def __init__(self, work: Path, html2text_method: str = "re") -> None:
        self.work = work
        self.method = html2text_method
        self.exe: Path | None = None
        self.mojibake: set[str] = set()  # pages whose new title urlwatch showed as Latin-1-decoded GBK

    def unavailable(self) -> str | None:
        try:
            self.exe = urlwatch_env.ensure(self.work, log=lambda message: print(message, flush=True))
        except (RuntimeError, subprocess.SubprocessError, OSError) as error:
            return f"could not install urlwatch {urlwatch_env.VERSION}: {error}"
        return None

    def prepare(self, directory: Path, task: Task) -> None:
        urlwatch_env.write_jobs(directory, task.urls, self.method)

    def argv(self, directory: Path, task: Task) -> list[str]:
        assert self.exe is not None
        return urlwatch_env.command(self.exe, directory)

    def env(self, directory: Path) -> dict[str, str]:
        return urlwatch_env.environment(directory)

    def verify(self, round_: Round, stdout: str, task: Task) -> list[str]:
        found = urlwatch_env.reported(stdout)
        names = {name for name, _ in task.urls}
        problems = []
        if found["ERROR"]:
            problems.append(f"{len(found['ERROR'])} jobs failed, e.g. {sorted(found['ERROR'])[0]}")
        expected_new = names if round_ == "a" else set()
        expected_changed = {item.source for item in task.added} if round_ == "c" else set()
        if found["NEW"] != expected_new:
            problems.append(f"NEW for {len(found['NEW'])} jobs, expected {len(expected_new)}")
        if found["CHANGED"] != expected_changed:
            problems.append(
                f"CHANGED for {len(found['CHANGED'])} jobs {sorted(found['CHANGED'])[:5]}, "
                f"expected {len(expected_changed)} {sorted(expected_changed)[:5]}"
            )
        if round_ == "c":
            plus = "\n".join(urlwatch_env.added_lines(stdout))
            for item in task.added:
                text = link_text(item.title)
                if text in plus:
                    continue
                if page_encoding(int(item.source[1:])) == "gbk-meta" and text.encode("gbk").decode("latin-1") in plus:
                    self.mojibake.add(item.source)  # found, but as mojibake: urlwatch ignores <meta charset>
                    continue
                problems.append(f"new item of {item.source} not on a '+' line of the diff: {text}")
        return problems


def make(names: list[str], work: Path, html2text_method: str) -> list:
    factories = {"watcher": Watcher, "urlwatch": lambda: Urlwatch(work, html2text_method), "reference": Reference}
    return [factories[name]() for name in names]
