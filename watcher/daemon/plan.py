"""When each source runs: first-run spread, jitter, and an interval trigger that does not drift.

Pure time arithmetic, kept apart from the scheduler wiring so it can be tested
with explicit datetimes (APScheduler must never run under a frozen clock).

Three decisions live here:
- **spread**: after a start or a reload, a source that is due runs at a stable
  offset within min(interval, 60 s), so a hundred sources do not all fetch in
  the same second; one that ran recently keeps its rhythm (last check + interval),
  so a restart neither re-checks everything nor delays anything by a whole interval.
- **jitter**: each run is delayed by up to 10 % of the interval (at most 5 min),
  so sources that share an interval drift apart over the day.
- **no drift**: APScheduler's own `IntervalTrigger(jitter=J)` counts each next run
  from the previous *jittered* time, so a 1 h source with 6 min jitter really runs
  every 63 min on average. `GridIntervalTrigger` adds the jitter to a fixed grid
  (start + k x interval) instead, so the mean period is the configured interval.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from watcher.config.sources import Source

MAX_SPREAD = 60.0  # seconds over which due sources' first runs are spread
JITTER_SHARE = 0.1  # jitter as a share of the interval ...
MAX_JITTER = 300.0  # ... but never more than this many seconds


def spread_fraction(name: str) -> float:
    """A stable number in [0, 1) for a source name: its slot within the spread window."""
    digest = hashlib.sha1(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def jitter_for(interval: float) -> float:
    """Seconds of random delay allowed on each run of a source with this interval."""
    return min(interval * JITTER_SHARE, MAX_JITTER)


def first_run(name: str, interval: float, now: datetime, last_check: datetime | None) -> datetime:
    """When a source should first run after a start or a reload.

    A source checked less than an interval ago waits for its turn (last check +
    interval); a due or never-checked one runs at its stable slot within
    min(interval, MAX_SPREAD) from now. A last check in the future (a clock
    that stepped back) counts as due.
    """
    spread = min(interval, MAX_SPREAD)
    slot = now + timedelta(seconds=spread * spread_fraction(name))
    if last_check is None or last_check > now:
        return slot
    return max(slot, last_check + timedelta(seconds=interval))


class GridIntervalTrigger(IntervalTrigger):
    """An IntervalTrigger whose jitter does not accumulate.

    Fire times are `start + k x interval + uniform(0, jitter)`: the next run is the
    next grid point after the one the previous (jittered) run belonged to. The
    jitter must stay below the interval, which `jitter_for` guarantees.
    """

    def __init__(
        self, *, seconds: float, start_date: datetime, jitter: float = 0.0, rng: random.Random | None = None
    ) -> None:
        super().__init__(seconds=seconds, start_date=start_date, timezone=start_date.tzinfo, jitter=jitter or None)
        self._rng = rng or random.Random()

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        if previous_fire_time is None:
            base = self._grid_at_or_after(now)
        else:
            periods = math.floor((previous_fire_time - self.start_date).total_seconds() / self.interval_length)
            base = self.start_date + timedelta(seconds=(periods + 1) * self.interval_length)
        if self.jitter:
            base += timedelta(seconds=self._rng.uniform(0, self.jitter))
        return base

    def _grid_at_or_after(self, now: datetime) -> datetime:
        if self.start_date >= now:
            return self.start_date
        periods = math.ceil((now - self.start_date).total_seconds() / self.interval_length)
        return self.start_date + timedelta(seconds=periods * self.interval_length)

    def __str__(self) -> str:
        return f"every {self.interval_length:g}s (jitter {self.jitter or 0:g}s)"


@dataclass(frozen=True)
class SourceChanges:
    """How a reload changes the set of scheduled sources."""

    added: list[str]
    removed: list[str]
    rescheduled: list[str]  # interval changed: the job gets a new trigger
    changed: list[str]  # anything else changed: the job picks the new Source up at its next run


def diff_sources(old: Mapping[str, Source], new: Mapping[str, Source]) -> SourceChanges:
    added = [name for name in new if name not in old]
    removed = sorted(name for name in old if name not in new)
    rescheduled = [name for name in new if name in old and old[name].interval != new[name].interval]
    changed = [name for name in new if name in old and old[name] != new[name]]
    return SourceChanges(added, removed, rescheduled, changed)
