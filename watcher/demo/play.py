"""Play the demo's story through the real pipeline, offline.

The same code as `watcher check` runs here (`build_pipeline` + `run_checks`,
the outbox and Apprise); only the internet is replaced by loopback mirrors
(`watcher.demo.server`) and the channel by `demo://` cards (or, with
`live_alerts`, by the user's own channels). A silent baseline comes first,
then each step of `scenario.toml` puts its items on the served pages, checks
every source once and delivers what the check queued.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcher.demo.scenario import Row, Scenario, content_type, read_bytes
from watcher.demo.server import LOOPBACK, DemoServer

log = logging.getLogger(__name__)

DEMO_CHANNELS = """\
# Channels of `watcher demo`: every tag goes to demo://, which prints Slack-like cards on the terminal.
version: 1
urls:
  - demo://procurement:
      - tag: procurement
  - demo://digest:
      - tag: digest
  - demo://ops:
      - tag: ops
"""
KEPT_CHANNELS = """\
# Channels for this kept demo state. The demo itself delivered to demo://, a target that exists only while
# `watcher demo` runs; console:// prints alerts on stdout. Replace it with your channels (see alerts/ in
# the watcher repository for Slack, e-mail, Teams and webhook examples).
version: 1
urls:
  - console://:
      - tag: procurement, digest, ops
"""


@dataclass
class Project:
    """Where the demo writes: a sources.toml pointing at the mirrors, alerts/ and state/."""

    root: Path
    alerts: Path

    @property
    def sources(self) -> Path:
        return self.root / "sources.toml"

    @property
    def state(self) -> Path:
        return self.root / "state"


@dataclass
class Outcome:
    """What the demo did, for the closing summary and the tests."""

    alerts: Counter[str] = field(default_factory=Counter)  # label -> events routed to a channel
    quiet: list[str] = field(default_factory=list)  # titles recorded as irrelevant, not alerted
    delivered: Counter[str] = field(default_factory=Counter)  # tag -> messages Apprise accepted
    mismatches: list[str] = field(default_factory=list)  # steps whose labels differ from the story's
    problems: list[str] = field(default_factory=list)  # checks that failed
    seconds: float = 0.0


class Demo:
    """One run of the story; `echo` prints a line, `pause` waits between steps (seconds)."""

    def __init__(
        self,
        scenario: Scenario,
        project: Project,
        echo: Callable[[str], None],
        pause: float = 0.5,
        live: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.scenario = scenario
        self.project = project
        self.echo = echo
        self.pause = pause
        self.live = live
        self.sleep = sleep
        self.rows: dict[str, list[Row]] = {name: [] for name in scenario.pages}

    def run(self) -> Outcome:
        import watcher.demo.card  # noqa: F401  (registers demo:// with Apprise before alerts/ is read)
        from watcher.config.sources import load_config
        from watcher.pipeline.check import run_checks
        from watcher.pipeline.wiring import build_pipeline
        from watcher.store import Store

        started = time.monotonic()
        outcome = Outcome()
        with _loopback_without_proxy(), DemoServer(self.scenario.hosts) as server:
            self._write_project(server)
            for url, name in self.scenario.documents:
                server.put(url, read_bytes(name), content_type(name))
            for row in self.scenario.baseline:
                self.rows[row.source].append(row)
            self._serve(server, list(self.scenario.pages))
            config = load_config(self.project.sources)
            sources = [source for source in config.sources if source.name in self.scenario.pages]
            store = Store.open(self.project.state)
            try:
                pipeline = build_pipeline(config, store, alerts_dir=self.project.alerts)
                results = list(run_checks(sources, pipeline))
                self._note_problems(results, outcome)
                items = sum(result.items for result in results)
                self.echo(
                    f"Baseline: {len(results)} sources checked, {items} items recorded silently "
                    f"(the first check of a source never alerts)."
                )
                for number, step in enumerate(self.scenario.steps, start=1):
                    if number > 1 and self.pause > 0:
                        self.sleep(self.pause)
                    for row in reversed(step.publish):
                        self.rows[row.source].insert(0, row)
                        if row.page:
                            page = self.scenario.pages[row.source]
                            server.put(page.page_url(row), read_bytes(row.page), content_type(row.page))
                    self._serve(server, list(dict.fromkeys(row.source for row in step.publish)))
                    self.echo("")
                    self.echo(f"{step.when}  {step.say}")
                    results = list(run_checks(sources, pipeline))
                    self._note_problems(results, outcome)
                    if self.live:  # what was sent where, then Apprise's report
                        self._report_step(step.expect, results, outcome, number)
                        self._deliver(pipeline, outcome)
                    else:  # the cards as they arrive, then what stayed quiet
                        self._deliver(pipeline, outcome)
                        self._report_step(step.expect, results, outcome, number)
            finally:
                store.close()
        if not self.live:
            (self.project.alerts / "apprise.yml").write_text(KEPT_CHANNELS, "utf-8")
        outcome.seconds = time.monotonic() - started
        return outcome

    def _write_project(self, server: DemoServer) -> None:
        self.project.root.mkdir(parents=True, exist_ok=True)
        self.project.sources.write_text(server.rewrite(self.scenario.sources_toml), "utf-8")
        if not self.live:
            self.project.alerts.mkdir(parents=True, exist_ok=True)
            (self.project.alerts / "apprise.yml").write_text(DEMO_CHANNELS, "utf-8")

    def _serve(self, server: DemoServer, names: list[str]) -> None:
        for name in names:
            page = self.scenario.pages[name]
            server.put(page.url, page.render(self.rows[name]), page.content_type)

    def _deliver(self, pipeline: Any, outcome: Outcome) -> None:
        if pipeline.notifier is None:
            return
        report = pipeline.notifier.drain()
        outcome.delivered.update(report.sent)
        if self.live and report:
            self.echo(f"  {report}")

    def _report_step(self, expect: tuple[str, ...], results: list[Any], outcome: Outcome, number: int) -> None:
        alerted: list[str] = []
        for result in results:
            for event in result.events:
                label = event.get("label")
                if label in (None, "health") or event.get("merged"):
                    continue
                if label == "irrelevant":
                    outcome.quiet.append(event["title"])
                    self.echo(f"  · recorded, no alert: [irrelevant] {event['title']}")
                elif event.get("routes"):
                    alerted.append(label)
                    outcome.alerts[label] += 1
                    if self.live:
                        self.echo(
                            f"  → [{label} · {event['severity']}] {event['title']}: sent to "
                            f"{', '.join(route[0] for route in event['routes'])}"
                        )
                else:
                    self.echo(f"  · recorded, no route: [{label}] {event['title']}")
        if sorted(alerted) != sorted(expect):
            message = (
                f"step {number}: the story expects {', '.join(expect) or 'no alert'}, "
                f"watcher raised {', '.join(alerted) or 'no alert'}"
            )
            outcome.mismatches.append(message)
            self.echo(f"  ! {message}")

    def _note_problems(self, results: list[Any], outcome: Outcome) -> None:
        for result in results:
            if result.status in ("error", "broken"):
                problem = f"{result.source}: {result.status}: {result.error}"
                outcome.problems.append(problem)
                self.echo(f"  ! {problem}")


@contextmanager
def _loopback_without_proxy() -> Iterator[None]:
    """Make sure an HTTP(S)_PROXY in the environment never routes the demo's loopback requests."""
    saved = {key: os.environ.get(key) for key in ("NO_PROXY", "no_proxy")}
    for key in saved:
        os.environ[key] = ",".join(part for part in (saved[key], LOOPBACK, "localhost") if part)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
