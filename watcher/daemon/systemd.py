"""systemd `Type=notify` messages: READY, RELOADING, STOPPING, STATUS and watchdog pings.

Everything is a no-op outside systemd (no NOTIFY_SOCKET), so `watcher run` in a
terminal or a container behaves the same. The watchdog is pinged only by the
daemon's main loop after it has checked that the scheduler runs and the
database answers: a wedged daemon stops pinging and systemd restarts it.
"""

from __future__ import annotations

import os
import time


class Systemd:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._notifier = None
        if env.get("NOTIFY_SOCKET"):
            import sdnotify

            self._notifier = sdnotify.SystemdNotifier()
        self.watchdog_interval = _watchdog_interval(env)
        self._last_ping = 0.0

    @property
    def enabled(self) -> bool:
        return self._notifier is not None

    def send(self, *lines: str) -> None:
        if self._notifier is not None:
            # sdnotify encodes latin-1: keep STATUS text ASCII
            self._notifier.notify("\n".join(line.encode("ascii", "replace").decode() for line in lines))

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}")

    def reloading(self) -> None:
        self.send("RELOADING=1", f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")

    def stopping(self, status: str) -> None:
        self.send("STOPPING=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def watchdog(self, now: float | None = None) -> bool:
        """Ping if a third of the watchdog interval has passed; True when a ping was sent."""
        if self._notifier is None or self.watchdog_interval is None:
            return False
        now = time.monotonic() if now is None else now
        if now - self._last_ping < self.watchdog_interval / 3:
            return False
        self._last_ping = now
        self.send("WATCHDOG=1")
        return True


def _watchdog_interval(env: dict[str, str] | os._Environ[str]) -> float | None:
    """WatchdogSec= in seconds, when systemd asked this very process for pings (sd_watchdog_enabled)."""
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 1_000_000
