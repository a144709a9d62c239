"""Time in a fetch: the per-host spacing between requests, and the one deadline of a fetch with its watchdog.

The two are kept apart on purpose: spacing is watcher's own politeness, and a
wait for a turn at a busy host must not eat the time a source gave its fetch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from watcher.core.errors import FetchError

if TYPE_CHECKING:
    from watcher.fetch.guard import Guard


class HostGate:
    """Spaces requests to one host by a minimum interval, across threads.

    Each caller reserves the next free slot for its host and sleeps until it,
    so eight workers on one ministry site still arrive one at a time. A slot
    further away than `max_wait` is not taken: that fetch fails at once,
    saying how long the queue at the host is.
    """

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 300.0,
    ) -> None:
        self.interval = interval
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> float:
        """Sleep until this host's next free slot; returns the seconds waited."""
        if self.interval <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(host, now))
            delay = slot - now
            if delay > self.max_wait:
                ahead = round(delay / self.interval)
                raise FetchError(
                    f"no turn at {host} within {self.max_wait:g}s: {ahead} requests queued ahead "
                    f"(host_interval {self.interval:g}s)",
                    reason="host_busy",
                )
            self._next[host] = slot + self.interval
        if delay > 0:
            self._sleep(delay)
        return max(0.0, delay)


class Deadline:
    """The fetch's own time: `seconds` from the start, not counting waits for a host's turn."""

    def __init__(self, seconds: float, guard: Guard) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._guard = guard
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def extend(self, waited: float) -> None:
        self.at += waited
        self.arm()

    def arm(self) -> None:
        """(Re)start the watchdog that cuts the fetch's connections when the deadline passes."""
        self.cancel()
        self._timer = threading.Timer(max(0.0, self.remaining()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        self.expired = True
        self._guard.cut()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
