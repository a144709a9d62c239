"""When a source counts as broken, when to say so, and when it has recovered.

Pure decisions over the stored state: a source that fails N checks in a row,
or whose selector stops matching, raises one `source broken` alert, repeated
at most every `repeat` while broken; the first success after that raises
`recovered`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from watcher.core.models import NewEvent, SourceState
from watcher.core.timestamps import parse

REPEAT_BROKEN = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class HealthUpdate:
    failures: int
    broken_since: str | None
    broken_alerted_at: str | None
    alert: NewEvent | None = None


def after_failure(
    state: SourceState,
    *,
    source: str,
    url: str,
    now: str,
    error: str,
    threshold: int,
    selector_broken: bool = False,
    repeat: timedelta = REPEAT_BROKEN,
) -> HealthUpdate:
    failures = state.failures + 1
    broken = selector_broken or failures >= threshold
    if not broken:
        return HealthUpdate(failures, state.broken_since, state.broken_alerted_at)
    broken_since = state.broken_since or now
    due = state.broken_alerted_at is None or _parse(now) - _parse(state.broken_alerted_at) >= repeat
    if not due:
        return HealthUpdate(failures, broken_since, state.broken_alerted_at)
    why = "its selector stopped matching" if selector_broken else f"{failures} checks failed in a row"
    alert = NewEvent(
        source=source,
        label="health",
        severity="high",
        kind="health",
        url=url,
        title=f"Source broken: {source}",
        summary=f"{source} is broken since {broken_since}: {why}. Last error: {error}",
        facts={"health": "source_broken", "failures": failures, "since": broken_since, "error": error},
    )
    return HealthUpdate(failures, broken_since, now, alert)


def after_success(state: SourceState, *, source: str, url: str, now: str) -> HealthUpdate:
    if state.broken_since is None:
        return HealthUpdate(0, None, None)
    alert = None
    if state.broken_alerted_at is not None:  # only announce a recovery the reader was told about
        alert = NewEvent(
            source=source,
            label="health",
            severity="medium",
            kind="health",
            url=url,
            title=f"Source recovered: {source}",
            summary=f"{source} works again (broken since {state.broken_since}).",
            facts={"health": "recovered", "since": state.broken_since},
        )
    return HealthUpdate(0, None, None, alert)


def _parse(stamp: str) -> datetime:
    return parse(stamp).replace(tzinfo=None)
