"""Run one contender process and measure it: wall time, user+sys CPU and peak RSS.

Why `os.wait4` rather than `/usr/bin/time` or psutil: wait4 hands back the
rusage of exactly the process we started, and on Linux that rusage includes
every descendant it waited for (RUSAGE_BOTH semantics), so a console-script
wrapper or a helper subprocess is counted without a second tool in the way.
ru_maxrss is the largest resident set of the process or any of those
descendants, in KiB. Output goes to files, not pipes, so nobody must drain
pipes while we wait.
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
    maxrss_kb: int
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float, log_prefix: Path) -> Measurement:
    """Start argv, wait for it with wait4, kill its process group if it runs past `timeout` seconds."""
    out_path, err_path = log_prefix.with_suffix(".out"), log_prefix.with_suffix(".err")
    timed_out = threading.Event()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   start_new_session=True)

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
        wall=wall, user=usage.ru_utime, sys=usage.ru_stime, maxrss_kb=usage.ru_maxrss,
        returncode=process.returncode, timed_out=timed_out.is_set(),
        stdout=out_path.read_text("utf-8", "replace"), stderr=err_path.read_text("utf-8", "replace"),
    )
