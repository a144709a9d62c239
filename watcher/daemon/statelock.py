"""One daemon per state directory: an flock on `state/watcher.lock`.

Two daemons on one database would check every source twice and race on the
outbox. `flock` is released by the kernel when its process dies, however it
dies, so a `kill -9` never leaves a lock behind that blocks the restart. The
holder's pid is written inside the file only so the refusal can name it; the
file itself is never deleted (deleting a lock file while another process
waits on it would let two processes in).
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path

from watcher.core.errors import StateError

LOCK_NAME = "watcher.lock"


class StateLockedError(StateError):
    """Another watcher daemon holds this state directory."""


class StateLock:
    """An exclusive lock on a state directory, held until `release()` or process exit."""

    def __init__(self, state_dir: Path | str) -> None:
        self.path = Path(state_dir) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, wait: float = 2.0) -> None:
        """Take the lock, retrying for `wait` seconds (a `watcher status` probe holds it for microseconds)."""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise StateError(
                f"cannot create the lock file {self.path}: {error.strerror}",
                hint="the state directory must be writable by the user running watcher",
            ) from None
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN) or time.monotonic() >= deadline:
                    os.close(fd)
                    holder = read_pid(self.path)
                    who = f"pid {holder}" if holder else "another process"
                    raise StateLockedError(
                        f"another watcher daemon ({who}) is already running on {self.path.parent}",
                        hint="stop it first, or give this one its own --state directory",
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def read_pid(path: Path) -> int | None:
    try:
        text = path.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def holder(state_dir: Path | str) -> int | None:
    """The pid of the daemon running on this state directory, or None if none runs.

    Probes with a shared, non-blocking lock held for an instant; it never creates the file.
    """
    path = Path(state_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return read_pid(path) or -1
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
