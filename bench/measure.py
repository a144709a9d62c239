"""Run one contender process and measure it: wall time, user+sys CPU and peak RSS.

CPU: `os.wait4` hands back the rusage of exactly the process we started, and on
Linux that includes every descendant it waited for, so a console-script wrapper
or a helper subprocess is counted.

Peak RSS needs a detour. On exec, Linux keeps the old address space's RSS
high-water mark in the process's ru_maxrss, and right after fork (or vfork)
that address space is the harness's own, which holds every page of the site.
wait4's ru_maxrss would report the harness, not the contender. So the contender
runs under GNU `/usr/bin/time`, a small C program: the harness's high-water mark
lands on `time`, and `time` reports its child's ru_maxrss (the contender and
its reaped descendants) in a file. Without /usr/bin/time, RSS is left unknown
(`apt-get install time`) rather than reported wrong. `time`'s own CPU, about a
millisecond, is inside the wait4 numbers.

Output goes to files, not pipes, so nobody must drain pipes while we wait.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True)
class Measurement:
    wall: float
    user: float
    sys: float
    maxrss_kb: int | None
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def cpu(self) -> float:
        return self.user + self.sys


TIME = Path("/usr/bin/time")


def _read_rss(path: Path) -> int | None:
    """The last line GNU time wrote: %M, the child's peak RSS in KiB."""
    try:
        return int(path.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def busy_seconds() -> float | None:
    """CPU seconds all processes on the machine have used since boot (/proc/stat), to see who else was busy."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float, log_prefix: Path) -> Measurement:
    """Start argv, wait for it with wait4, kill its process group if it runs past `timeout` seconds."""
    out_path, err_path = log_prefix.with_suffix(".out"), log_prefix.with_suffix(".err")
    rss_path = log_prefix.with_suffix(".rss")
    rss_path.unlink(missing_ok=True)
    if TIME.exists():
        argv = [str(TIME), "-f", "%M", "-o", str(rss_path), *argv]
    timed_out = threading.Event()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
        )

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
                os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    return Measurement(
        wall=wall,
        user=usage.ru_utime,
        sys=usage.ru_stime,
        maxrss_kb=_read_rss(rss_path),
        returncode=process.returncode,
        timed_out=timed_out.is_set(),
        stdout=out_path.read_text("utf-8", "replace"),
        stderr=err_path.read_text("utf-8", "replace"),
    )
