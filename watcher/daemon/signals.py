"""The daemon's main thread waits here for words: signals, and requests from jobs.

Signals reach the main thread through `signal.set_wakeup_fd`: the C-level
handler writes the signal number into a pipe, which wakes the main thread's
`select` at once, even when the kernel delivered the signal to a worker
thread. (A Python handler alone runs only when the main thread next executes
bytecode, which can be a whole wait later.) The Python handlers installed are
empty; what a signal means is decided here, in ordinary code: SIGHUP reloads,
SIGTERM and SIGINT stop, and a second stop signal exits at once.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import signal

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _ignore(signum: int, frame: object) -> None:
    """Installed so that the C handler runs (and writes the wakeup pipe); the meaning is in `Mailbox.wait`."""


class Mailbox:
    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._queue: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self._installed = False
        self.stop_signals = 0

    def install_signals(self) -> None:
        """Route SIGTERM, SIGINT and SIGHUP here (main thread only)."""
        for signum in (*STOP_SIGNALS, signal.SIGHUP):
            signal.signal(signum, _ignore)
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._installed = True

    def post(self, word: str, reason: str) -> None:
        """From any thread: ask the main thread to act (e.g. `reload`)."""
        self._queue.put((word, reason))
        with contextlib.suppress(BlockingIOError):  # a full pipe already holds enough wake-ups
            os.write(self._write, b"\0")

    def wait(self, timeout: float) -> list[tuple[str, str]]:
        """The words that arrived within `timeout` seconds: ("stop", "SIGTERM"), ("reload", "SIGHUP")...

        A second stop signal does not return: the process exits at once with 128 + the signal number.
        """
        words = []
        readable, _, _ = select.select([self._read], [], [], timeout)
        if readable:
            try:
                data = os.read(self._read, 512)
            except BlockingIOError:
                data = b""
            for signum in data:
                if signum == signal.SIGHUP:
                    words.append(("reload", "SIGHUP"))
                elif signum in STOP_SIGNALS:
                    self.stop_signals += 1
                    name = signal.Signals(signum).name
                    if self.stop_signals > 1:
                        os.write(2, f"watcher: second {name}, exiting at once\n".encode())
                        os._exit(128 + signum)
                    words.append(("stop", name))
        while True:
            try:
                words.append(self._queue.get_nowait())
            except queue.Empty:
                return words

    def close(self) -> None:
        if self._installed:
            signal.set_wakeup_fd(-1)
            self._installed = False
        for fd in (self._read, self._write):
            os.close(fd)
