"""`watcher run`: schedule maths, and the daemon as a real process against loopback servers.

The process tests start `python -m watcher run` against the loopback site and a
loopback webhook that records Apprise's `json://` POSTs, with intervals of two
seconds, and drive it with real signals. Trigger maths is tested with explicit
datetimes, never under a frozen clock.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Project, source_entry
from loopback import Site, free_port

from watcher.config.sources import parse_config
from watcher.daemon.http import HealthServer, parse_address
from watcher.daemon.plan import GridIntervalTrigger, diff_sources, first_run, jitter_for, spread_fraction
from watcher.daemon.statelock import StateLock, StateLockedError, holder
from watcher.daemon.systemd import Systemd
from watcher.daemon.watch import ConfigWatch

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

# -- schedule maths -------------------------------------------------------------------------------------------


def test_first_runs_of_due_sources_spread_over_a_bounded_window():
    names = [f"source-{index}" for index in range(100)]
    starts = [first_run(name, 3600, T0, None) for name in names]
    offsets = sorted((start - T0).total_seconds() for start in starts)
    assert offsets[0] >= 0 and offsets[-1] < 60  # min(interval, 60 s)
    assert max(sum(1 for o in offsets if second <= o < second + 1) for second in range(60)) <= 8  # no herd
    assert first_run("a", 3600, T0, None) == first_run("a", 3600, T0, None)  # stable per name
    short = first_run("a", 10, T0, None)
    assert T0 <= short < T0 + timedelta(seconds=10)


def test_a_recently_checked_source_keeps_its_rhythm_after_a_restart():
    last = T0 - timedelta(minutes=10)
    assert first_run("a", 3600, T0, last) == last + timedelta(hours=1)
    overdue = first_run("a", 3600, T0, T0 - timedelta(hours=5))
    assert T0 <= overdue < T0 + timedelta(seconds=60)
    future = first_run("a", 3600, T0, T0 + timedelta(hours=3))  # the clock stepped back: due now
    assert future < T0 + timedelta(seconds=60)


def test_grid_trigger_jitter_only_delays_and_never_drifts():
    interval = 600.0
    jitter = jitter_for(interval)
    assert jitter == 60.0 and jitter_for(86400) == 300.0 and jitter_for(2) == pytest.approx(0.2)
    trigger = GridIntervalTrigger(seconds=interval, start_date=T0, jitter=jitter, rng=random.Random(7))
    fire = trigger.get_next_fire_time(None, T0 - timedelta(seconds=5))
    fires = [fire]
    for _ in range(1000):
        fire = trigger.get_next_fire_time(fire, fire)
        fires.append(fire)
    for k, moment in enumerate(fires):
        delay = (moment - (T0 + timedelta(seconds=k * interval))).total_seconds()
        assert 0 <= delay <= jitter, (k, delay)
    # APScheduler's own IntervalTrigger would be ~1000 x 30 s = 8 h late by now
    assert (fires[-1] - T0).total_seconds() < 1000 * interval + jitter


def test_grid_trigger_after_a_long_pause_resumes_on_the_grid():
    trigger = GridIntervalTrigger(seconds=60, start_date=T0, jitter=0)
    now = T0 + timedelta(seconds=3 * 60 + 10)
    assert trigger.get_next_fire_time(None, now) == T0 + timedelta(seconds=4 * 60)


def test_diff_sources_tells_added_removed_rescheduled_and_changed():
    def config(*entries: str):
        text = "".join(entries)
        import tomllib

        return {s.name: s for s in parse_config(tomllib.loads(text), Path("sources.toml")).sources}

    old = config(
        source_entry("a", "http://x/a", "page", interval="1h"),
        source_entry("b", "http://x/b", "page"),
        source_entry("c", "http://x/c", "page"),
    )
    new = config(
        source_entry("a", "http://x/a", "page", interval="30m"),
        source_entry("b", "http://x/b2", "page"),
        source_entry("d", "http://x/d", "page"),
        source_entry("c", "http://x/c", "page"),
    )
    changes = diff_sources(old, new)
    assert changes.added == ["d"] and changes.removed == []
    assert changes.rescheduled == ["a"] and changes.changed == ["a", "b"]
    assert diff_sources(new, {}).removed == ["a", "b", "c", "d"]


def test_spread_fraction_is_in_unit_interval():
    assert all(0 <= spread_fraction(f"s{i}") < 1 for i in range(1000))


# -- small parts ----------------------------------------------------------------------------------------------


def test_http_address_defaults_to_loopback():
    assert parse_address("9464") == ("127.0.0.1", 9464)
    assert parse_address(":9464") == ("127.0.0.1", 9464)
    assert parse_address("0.0.0.0:9464") == ("0.0.0.0", 9464)
    assert parse_address("[::1]:9464") == ("::1", 9464)
    for bad in ("", "host", "1.2.3.4:x", "70000"):
        with pytest.raises(ValueError):
            parse_address(bad)


def test_health_server_answers_200_then_503_with_a_reason_and_serves_metrics():
    from prometheus_client import CollectorRegistry, Counter

    registry = CollectorRegistry()
    Counter("watcher_probe", "A test counter.", registry=registry).inc()
    state = {"healthy": True}

    def probe() -> tuple[bool, dict]:
        if state["healthy"]:
            return True, {"status": "ok"}
        return False, {"status": "unavailable", "reason": "the state database does not answer"}

    server = HealthServer("127.0.0.1", 0, registry, probe)
    server.start()
    base = f"http://{server.address}"
    try:
        assert http_get(f"{base}/healthz") == (200, '{"status": "ok"}')
        state["healthy"] = False
        status, body = http_get(f"{base}/healthz")
        assert status == 503 and json.loads(body)["reason"] == "the state database does not answer"
        status, body = http_get(f"{base}/metrics")
        assert status == 200 and "watcher_probe_total 1.0" in body
        assert http_get(f"{base}/nope")[0] == 404
    finally:
        server.close()


def test_state_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    first = StateLock(tmp_path)
    first.acquire()
    assert holder(tmp_path) == os.getpid()
    with pytest.raises(StateLockedError, match=f"pid {os.getpid()}"):
        StateLock(tmp_path).acquire(wait=0.1)
    first.release()
    assert holder(tmp_path) is None
    second = StateLock(tmp_path)
    second.acquire(wait=0)  # a released (or dead holder's) lock never blocks
    second.release()


def test_config_watch_reports_a_change_once_it_held_still(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text("x")
    alerts = tmp_path / "alerts"
    alerts.mkdir()
    watch = ConfigWatch(sources, alerts)
    watch.applied(watch.fingerprint(None))
    assert watch.poll(None) is None
    (alerts / "routes.toml").write_text("y")
    (alerts / ".routes.toml.swp").write_text("editor noise")
    assert watch.poll(None) is None  # changed: wait one poll for the editor to finish
    assert watch.poll(None) == [str(alerts / "routes.toml")]
    assert watch.poll(None) is None  # reported once


def test_systemd_is_silent_outside_systemd_and_pings_at_a_third_of_the_watchdog():
    quiet = Systemd({})
    assert not quiet.enabled and quiet.watchdog() is False
    assert Systemd({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"}).watchdog_interval is None  # not for us
    assert Systemd({"WATCHDOG_USEC": "3000000"}).watchdog_interval == 3.0


# -- the daemon as a process ----------------------------------------------------------------------------------


class Receiver:
    """The shared loopback site's `/hook`, read as the daemon tests need it.

    With `delay`, the site holds each POST before answering and notices when the
    sender vanished meanwhile (a killed daemon): such a request is `aborted`, not
    `received`, because the sender never learnt that it arrived.
    """

    path = "/hook"

    def __init__(self, site: Site) -> None:
        self.site = site
        site.add(self.path)

    @property
    def url(self) -> str:
        return self.site.url(self.path).replace("http://", "json://")

    @property
    def delay(self) -> float:
        return self.site.pages[self.path].delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        self.site.pages[self.path].delay = seconds

    @property
    def started(self) -> list[dict]:
        return self.site.posted(self.path)

    @property
    def aborted(self) -> list[dict]:
        return self.site.dropped(self.path)

    @property
    def received(self) -> list[dict]:
        return self.site.received(self.path)

    def titles(self) -> list[str]:
        """Title and body of each message received, as one string each."""
        return [f"{message.get('title', '')}\n{message.get('message', '')}" for message in self.received]


ROUTES = """
[delivery]
max_attempts = 3
backoff = "1s"
burst = 50
health_tag = "ops"

[[route]]
labels = ["quota", "export_control", "enforcement", "deal", "market", "irrelevant"]
severity = ["high", "medium", "low"]
tags = ["procurement"]
"""


class Daemon:
    """`python -m watcher run` in a subprocess, its output collected line by line."""

    def __init__(self, project: Project, *args: str, env: dict[str, str] | None = None) -> None:
        command = [
            sys.executable,
            "-m",
            "watcher",
            "--sources",
            str(project.sources),
            "--state",
            str(project.state),
            "--alerts",
            str(project.alerts),
            "--log-level",
            "info",
            "run",
            *args,
        ]
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=project.root,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 10.0, after: int = 0) -> int:
        """Index of the first output line from `after` on that contains `text`."""
        found: list[int] = []

        def seen() -> bool:
            found[:] = [i for i, line in enumerate(self.lines[after:], start=after) if text in line][:1]
            return bool(found)

        wait_until(seen, timeout, f"no line with {text!r} in:\n{self.output}")
        return found[0]

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float = 10.0) -> int:
        code = self.proc.wait(timeout)
        self.reader.join(2)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def wait_until(predicate: Callable[[], bool], timeout: float, message: str = "condition not met") -> float:
    """Poll until `predicate()` holds; return the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(0.05)
    return time.monotonic() - started


def page(*titles: str) -> str:
    items = "".join(
        f'<li><a href="/n/{zlib.crc32(title.encode())}">{title}</a> <span>2026-03-01</span></li>' for title in titles
    )
    return f"<html><body><ul>{items}</ul></body></html>"


@pytest.fixture
def receiver(site: Site) -> Receiver:
    return Receiver(site)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()


def setup_project(project: Project, site, receiver: Receiver, names: tuple[str, ...] = ("a",)) -> None:
    for name in names:
        site.add(f"/{name}", page(f"Old notice of {name}"))
    project.write_sources(
        "".join(source_entry(name, site.url(f"/{name}"), "html", item="li", interval="2s") for name in names)
    )
    (project.alerts / "apprise.yml").write_text(
        f"version: 1\nurls:\n  - {receiver.url}:\n      - tag: procurement, ops\n", "utf-8"
    )
    (project.alerts / "routes.toml").write_text(ROUTES, "utf-8")


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_page_change_is_delivered_and_health_and_metrics_answer(project, site, receiver, daemons):
    setup_project(project, site, receiver)
    port = free_port()
    daemon = Daemon(project, "--http", str(port))
    daemons.append(daemon)
    daemon.wait_for_line("check a: baseline")
    status, body = http_get(f"http://127.0.0.1:{port}/healthz")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["sources"] == 1

    changed_at = time.monotonic()
    site.pages["/a"].set_body(page("Old notice of a", "MOFCOM export control on gallium and germanium").encode())
    wait_until(
        lambda: any("gallium" in title for title in receiver.titles()),
        10,
        lambda: f"no alert delivered; got {receiver.received}\n{daemon.output}",
    )
    latency = time.monotonic() - changed_at
    assert latency < 2 + 3, latency  # interval + jitter + a check + the drain right after it
    print(f"page change to delivered alert: {latency:.2f}s")

    # the receiver saw the message a moment before the daemon heard its answer and marked the row sent
    wait_until(
        lambda: 'watcher_deliveries_total{result="sent"} 1.0' in http_get(f"http://127.0.0.1:{port}/metrics")[1],
        5,
        "the delivery was never marked sent",
    )
    status, metrics = http_get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    for line in (
        'watcher_checks_total{source="a",status="baseline"} 1.0',
        'watcher_changes_total{change="new",source="a"}',
        "watcher_check_duration_seconds_count",
        'watcher_last_success_timestamp_seconds{source="a"}',
        "watcher_outbox_depth 0.0",
        'watcher_outbox_rows{status="sent"} 1.0',
        'watcher_deliveries_total{result="sent"} 1.0',
        'watcher_items_seen{source="a"} 2.0',
        "watcher_sources_scheduled 1.0",
    ):
        assert line in metrics, line
    assert "watcher_events_total{" in metrics

    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "watcher",
            "--sources",
            str(project.sources),
            "--state",
            str(project.state),
            "--alerts",
            str(project.alerts),
            "status",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    picture = json.loads(status.stdout)
    assert picture["daemon"] == {"running": True, "pid": daemon.proc.pid}
    (source,) = picture["sources"]
    assert source["result"] in ("ok", "unchanged") and source["next_run"] > source["last_check"]
    assert picture["outbox"]["sent"] == 1 and picture["last_delivery"]["tag"] == "procurement"

    stop_at = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(10) == 0
    print(f"SIGTERM to exit: {time.monotonic() - stop_at:.2f}s")
    assert "stopped" in daemon.output and "Traceback" not in daemon.output
    assert holder(project.state) is None


def test_reload_on_sighup_and_on_edit_and_an_invalid_edit_keeps_the_old_sources(project, site, receiver, daemons):
    # a source may be called `drain`: the housekeeping jobs' ids ("ops:drain") cannot collide with it
    setup_project(project, site, receiver, names=("a", "drain", "c"))
    project.write_sources(source_entry("a", site.url("/a"), "html", item="li", interval="2s"))
    daemon = Daemon(project)
    daemons.append(daemon)
    daemon.wait_for_line("check a: baseline")

    project.write_sources(
        source_entry("a", site.url("/a"), "html", item="li", interval="2s")
        + source_entry("drain", site.url("/drain"), "html", item="li", interval="2s")
    )
    daemon.signal(signal.SIGHUP)
    daemon.wait_for_line("reloaded (SIGHUP)")
    daemon.wait_for_line("check drain: baseline", timeout=6)

    valid = project.sources.read_text("utf-8")
    project.sources.write_text(valid + '[[source]]\nname = "broken"\nurl = "nope"\nkind = "html"\n', "utf-8")
    mark = daemon.wait_for_line("rejected, still running the previous configuration", timeout=10)
    assert "'url'" in daemon.output  # the log says what is wrong
    hits_a, hits_drain = len(site.hits("/a")), len(site.hits("/drain"))
    wait_until(
        lambda: len(site.hits("/a")) > hits_a and len(site.hits("/drain")) > hits_drain,
        8,
        "the old sources stopped being checked after a rejected reload",
    )
    wait_until(
        lambda: any("configuration rejected" in title.lower() for title in receiver.titles()),
        8,
        lambda: f"no ops alert for the rejected configuration: {receiver.titles()}",
    )

    project.sources.write_text(valid + source_entry("c", site.url("/c"), "html", item="li", interval="2s"), "utf-8")
    daemon.wait_for_line("reloaded (changed: sources.toml)", timeout=10, after=mark)
    daemon.wait_for_line("check c: baseline", timeout=6)

    daemon.signal(signal.SIGTERM)
    assert daemon.wait(10) == 0


def test_stop_waits_for_a_running_check_and_a_second_daemon_is_refused(project, site, receiver, daemons):
    setup_project(project, site, receiver)
    daemon = Daemon(project)
    daemons.append(daemon)
    daemon.wait_for_line("check a: baseline")

    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "watcher",
            "--sources",
            str(project.sources),
            "--state",
            str(project.state),
            "--alerts",
            str(project.alerts),
            "run",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert second.returncode == 3
    assert f"another watcher daemon (pid {daemon.proc.pid}) is already running" in second.stderr
    assert "Traceback" not in second.stderr

    site.pages["/a"].delay = 2.0
    before = len(site.hits("/a"))
    wait_until(lambda: len(site.hits("/a")) > before, 5, "no check started")
    stop_at = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(10) == 0
    took = time.monotonic() - stop_at
    assert 0.5 < took < 5, took  # it waited for the check in flight, not longer
    lines = daemon.output.splitlines()
    stopping = next(i for i, line in enumerate(lines) if "stopping (SIGTERM): 1 check(s) running" in line)
    assert any("check a: unchanged" in line for line in lines[stopping:])


def test_stop_timeout_bounds_the_wait_and_a_second_signal_exits_at_once(project, site, receiver, daemons):
    setup_project(project, site, receiver)
    site.pages["/a"].delay = 3.0  # longer than --stop-timeout
    slow = Daemon(project, "--stop-timeout", "1s")
    daemons.append(slow)
    wait_until(lambda: len(site.hits("/a")) > 0, 8, "no check started")
    stop_at = time.monotonic()
    slow.signal(signal.SIGTERM)
    assert slow.wait(10) == 0
    assert time.monotonic() - stop_at < 3
    assert "still running after 1s" in slow.output

    impatient = Daemon(project)
    daemons.append(impatient)
    hits = len(site.hits("/a"))
    wait_until(lambda: len(site.hits("/a")) > hits, 8, "no check started")
    stop_at = time.monotonic()
    impatient.signal(signal.SIGINT)
    impatient.wait_for_line("stopping (SIGINT)")
    impatient.signal(signal.SIGINT)
    assert impatient.wait(5) == 128 + signal.SIGINT
    assert time.monotonic() - stop_at < 2
    # let the slow page answer its vanished clients now, not as noise after the test
    time.sleep(max(0.0, site.hits("/a")[-1]["time"] + 3.2 - time.time()))


def test_kill_9_during_a_delivery_then_restart_delivers_each_alert_once(project, site, receiver, daemons):
    setup_project(project, site, receiver)
    first = Daemon(project)
    daemons.append(first)
    first.wait_for_line("check a: baseline")

    receiver.delay = 30.0  # the channel takes its time: the kill lands while a POST is in flight
    titles = [
        "Gallium export licence rules tightened",
        "Antimony smuggling case in Guangxi",
        "Lynas signs heavy rare earth offtake with Japan",
    ]
    site.pages["/a"].set_body(page("Old notice of a", *titles).encode())
    wait_until(lambda: len(receiver.started) >= 1, 10, lambda: f"no delivery started\n{first.output}")
    first.proc.kill()
    first.wait(5)
    wait_until(lambda: len(receiver.aborted) >= 1, 5, "the receiver did not notice the killed sender")
    assert receiver.received == []

    receiver.delay = 0.0
    second = Daemon(project)
    daemons.append(second)
    wait_until(
        lambda: sum(1 for t in receiver.titles() for want in titles if want in t) >= 3,
        15,
        lambda: f"not every alert arrived: {receiver.titles()}\n{second.output}",
    )
    time.sleep(2.5)  # a drain or two later: nothing is sent twice
    for want in titles:
        assert sum(1 for title in receiver.titles() if want in title) == 1, (want, receiver.titles())
    second.signal(signal.SIGTERM)
    assert second.wait(10) == 0


def test_systemd_notify_ready_watchdog_and_stopping(project, site, receiver, daemons, tmp_path):
    setup_project(project, site, receiver)
    path = f"/tmp/watcher-notify-{os.getpid()}-{random.randrange(10**6)}.sock"  # short: AF_UNIX paths max 108
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(path)
    notify.settimeout(10)
    try:
        daemon = Daemon(project, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1500000"})
        daemons.append(daemon)
        messages: list[str] = []

        def receive_until(word: str) -> None:
            while not any(word in message for message in messages):
                messages.append(notify.recv(4096).decode())

        receive_until("READY=1")
        assert any("STATUS=1 sources" in message for message in messages)
        receive_until("WATCHDOG=1")
        daemon.signal(signal.SIGTERM)
        receive_until("STOPPING=1")
        assert daemon.wait(10) == 0
    finally:
        notify.close()
        os.unlink(path)
