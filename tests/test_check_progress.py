"""`watcher check` on a terminal: one log line per failed check, printed above a progress bar that stays whole."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

from conftest import source_entry
from loopback import free_port


def offline_sources(project, count: int) -> None:
    project.write_sources(
        "".join(
            source_entry(f"offline-{n}", f"http://127.0.0.1:{free_port()}/", item="li", timeout="1s")
            for n in range(count)
        )
    )


def test_an_offline_check_logs_one_line_per_failed_source(project):
    offline_sources(project, 6)
    result = project.cli("check", "--no-notify")
    lines = result.stderr.splitlines()
    assert len(lines) == 6, lines  # before: three urllib3 "Retrying (_BoundedRetry(...))" warnings per source
    assert all("WARNING watcher.pipeline.check: check offline-" in line for line in lines)
    assert all("cannot connect: connection refused" in line for line in lines)
    assert "6 sources checked: 0 new, 0 changed, 6 failed" in result.stdout


def test_progress_bar_shows_done_of_total_and_the_source_with_log_lines_above_it(project):
    offline_sources(project, 5)
    main, terminal = pty.openpty()
    command = [sys.executable, "-m", "watcher", "--sources", str(project.sources), "--state", str(project.state)]
    process = subprocess.Popen(
        [*command, "--alerts", str(project.alerts), "check", "--no-notify"],
        stdin=terminal,
        stdout=subprocess.DEVNULL,
        stderr=terminal,  # a terminal: the bar is on by default for 5+ sources
        env={**os.environ, "COLUMNS": "120"},
    )
    os.close(terminal)
    screen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the process closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=10)
    os.close(main)
    text = screen.decode("utf-8", "replace")
    assert "checking [" in text and "] 5/5  offline-" in text
    warnings = [part for part in text.split("\r\x1b[K") if "WARNING" in part]
    assert len(warnings) == 5  # each log line starts on a cleared line, the bar is drawn again after it
    assert all(part.startswith(tuple("0123456789")) and "\r\nchecking [" in part for part in warnings)
    assert text.endswith("\r\x1b[K")  # the bar is erased at the end, leaving the terminal clean
