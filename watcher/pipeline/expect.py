"""Evaluate the `[[expect]]` entries: alert once when a due notice did not come, close it when it does.

For each enabled expectation: gather what met it (stored events, items a baseline recorded,
the shipped history), see where it stands now (`analyze.expect.stand`), and move its state:

- overdue and no alert open -> one `overdue` event, routed like any label;
- overdue, alert open, `repeat` passed since the last one -> a reminder;
- alert open and a meeting arrived -> a short "arrived, N days late" event, and the alert closes;
- a `by` alert of an earlier year that never closed -> closed quietly when the year turns.

The daemon runs this on its own schedule and `watcher check` after its checks; `watcher status`
reads the same standing without writing anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from watcher.analyze.expect import Evidence, Standing, evidence_day, meets, plausible, severity, stand
from watcher.analyze.notice_history import batch_name, load_notices, notice_day
from watcher.config.expect import Expect, history_file
from watcher.core.errors import WatcherError
from watcher.core.models import Change, Item, NewEvent
from watcher.core.timestamps import iso
from watcher.core.timestamps import parse as parse_stamp
from watcher.pipeline.expect_text import close_text, overdue_text

if TYPE_CHECKING:
    from watcher.config.sources import Config
    from watcher.pipeline.check import Pipeline
    from watcher.store import Store

log = logging.getLogger(__name__)
HISTORY_YEARS = 10  # how far back stored events are read for "met before" dates


@dataclass(frozen=True)
class Reporter:
    """The source an expectation's alerts come from, for routing: routes match `expect:<name>` and its tags."""

    name: str
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()


@dataclass
class Outcome:
    """One expectation after an evaluation: where it stands, its state, and what was written."""

    expect: Expect
    standing: Standing
    state: dict[str, Any] = field(default_factory=dict)
    action: str = "none"  # none | alert | reminder | close | expire
    event: dict[str, Any] | None = None

    @property
    def open_alert(self) -> bool:
        return bool(self.state.get("overdue_since"))

    def view(self) -> dict[str, Any]:
        """JSON-ready: what `watcher status --json` shows under `expectations`."""
        standing, met = self.standing, self.standing.met
        return {
            "name": self.expect.name,
            "description": self.expect.description,
            "enabled": self.expect.enabled,
            "status": standing.status,
            "due": standing.due.isoformat(),
            "when": self.expect.when(),
            "met_on": met.day.isoformat() if met else None,
            "met_title": met.title if met else None,
            "met_url": met.url if met else None,
            "met_by": met.kind if met else None,
            "overdue_days": standing.overdue_days if standing.status in ("grace", "overdue") else 0,
            "alert_open": self.open_alert,
            "alerted_at": self.state.get("alerted_at"),
            "alerts": self.state.get("alerts") or 0,
            "met_before": [evidence.day.isoformat() for evidence in standing.history],
        }


def evaluate_expectations(config: Config, pipeline: Pipeline) -> list[Outcome]:
    """Evaluate every enabled expectation now and record what changed (alerts go to the outbox)."""
    outcomes = []
    for expect in config.expectations:
        if not expect.enabled:
            continue
        try:
            outcomes.append(_evaluate(expect, config, pipeline))
        except WatcherError as error:  # a history file broken since the start, a full disk: say so, go on
            log.error("expectation %s: not evaluated: %s", expect.name, error)
        except Exception:  # one broken expectation must not stop the others, nor a check pass
            log.exception("expectation %s: evaluation failed", expect.name)
    return outcomes


def standings(config: Config, store: Store | None, analyzer: Any = None) -> list[Outcome]:
    """Where every expectation stands now, read-only (for `watcher status`); without a state, by history only."""
    now = store.clock() if store is not None else datetime.now(UTC)
    states = store.expectations.states() if store is not None else {}
    outcomes = []
    for expect in config.expectations:
        state = states.get(expect.name, {})
        since = parse_stamp(state["watching_since"]) if state.get("watching_since") else now
        evidence = gather(expect, config, store, analyzer, now)
        outcomes.append(Outcome(expect, stand(expect, evidence, now, since), state))
    return outcomes


def _evaluate(expect: Expect, config: Config, pipeline: Pipeline) -> Outcome:
    store = pipeline.store
    now = store.clock()
    state = store.expectations.watch(expect.name, iso(now))
    evidence = gather(expect, config, store, pipeline.analyzer, now)
    standing = stand(expect, evidence, now, parse_stamp(state["watching_since"]))
    outcome = Outcome(expect, standing, state)
    action, update, event = _decide(expect, standing, state, now)
    if action == "none":
        return outcome
    if event is not None and pipeline.router is not None:
        # a Reporter has what a Router reads of a Source (name, tags, notify)
        event.routes = pipeline.router(event, Reporter(expect.source_name, expect.tags, expect.notify))  # type: ignore[arg-type]
    written = store.expectations.transition(expect.name, state.get("alerted_at"), update, event)
    if written is None:
        log.info("expectation %s: changed by another evaluation meanwhile; nothing written", expect.name)
        return outcome
    outcome.action, outcome.event = action, written or None
    outcome.state = {**state, **update}
    log.info("expectation %s: %s (%s)", expect.name, action, standing.status)
    return outcome


def _decide(
    expect: Expect, standing: Standing, state: dict[str, Any], now: datetime
) -> tuple[str, dict[str, Any], NewEvent | None]:
    stamp = iso(now)
    if state.get("overdue_since"):
        same = state.get("period") == standing.period
        # `by`: met within the alert's year; `every`: a meeting moved the period on
        arrived = standing.met is not None and ((same and standing.status == "met") or (not same and expect.every))
        if arrived:
            update: dict[str, Any] = {"overdue_since": None, "alerted_at": None, "closed_at": stamp}
            return "close", update, _close(expect, standing, state)
        if not same:  # a `by` alert of an earlier year: that year is over
            return "expire", {"overdue_since": None, "alerted_at": None, "closed_at": stamp}, None
    if standing.status != "overdue":
        return "none", {}, None
    level = severity(expect, standing)
    if not state.get("overdue_since"):
        update = {
            "period": standing.period,
            "due": standing.due.isoformat(),
            "overdue_since": stamp,
            "alerted_at": stamp,
            "alerts": 1,
            "severity": level,
            "closed_at": None,
            "closed_event_id": None,
        }
        return "alert", update, _overdue(expect, standing, level, reminder=0)
    alerted = parse_stamp(state["alerted_at"]) if state.get("alerted_at") else None
    if alerted is not None and now - alerted < timedelta(seconds=expect.repeat):
        return "none", {}, None
    count = int(state.get("alerts") or 1)
    update = {"alerted_at": stamp, "alerts": count + 1, "severity": level}
    return "reminder", update, _overdue(expect, standing, level, reminder=count)


def _overdue(expect: Expect, standing: Standing, level: str, reminder: int) -> NewEvent:
    title, summary, facts = overdue_text(expect, standing, reminder)
    return NewEvent(
        source=expect.source_name,
        label="overdue",
        severity=level,
        title=title,
        summary=summary,
        facts=facts,
        published=standing.due.isoformat(),
    )


def _close(expect: Expect, standing: Standing, state: dict[str, Any]) -> NewEvent:
    assert standing.met is not None
    due = date.fromisoformat(state["due"]) if state.get("due") else standing.due
    late = max(0, (standing.met.day - due).days)
    title, summary, facts = close_text(expect, standing.met, due, late, state.get("event_id"))
    return NewEvent(
        source=expect.source_name,
        label="overdue",
        severity=state.get("severity") or severity(expect, standing),
        title=title,
        url=standing.met.url,
        published=standing.met.day.isoformat(),
        summary=summary,
        facts=facts,
    )


# -- evidence ---------------------------------------------------------------------------------------------


def gather(expect: Expect, config: Config, store: Store | None, analyzer: Any, now: datetime) -> list[Evidence]:
    """Everything that met `expect`: stored events, baseline items of its sources, its history rows."""
    found = _history(expect, config)
    if store is None:
        return found
    since = datetime(now.year - HISTORY_YEARS, 1, 1, tzinfo=UTC)
    for event in store.expectations.candidate_events(expect.label, iso(since)):
        if not any(expect.watches(source) for source in event["sources"]):
            continue
        text = "\n".join([event["title"] or "", event["summary"] or "", " ".join(event["matched"])])
        day = evidence_day(event.get("published"), event.get("first_seen"))
        if day is not None and meets(expect, expect.label, text, event["facts"]):
            found.append(_from_facts(day, "event", event, event["facts"], event_id=event["id"]))
    if analyzer is not None:
        found += _baseline(expect, config, store, analyzer, now, found)
    return found


def _baseline(
    expect: Expect, config: Config, store: Store, analyzer: Any, now: datetime, found: list[Evidence]
) -> list[Evidence]:
    """Items already on a watched page that meet the expectation in the current period.

    Only the current period matters here: earlier ones are history. An item is classified only
    when one of the expectation's terms is in its text, so a pass costs a classification per
    plausible notice, not per stored item.
    """
    if expect.by is not None:
        since = datetime(now.year, 1, 1, tzinfo=UTC)
    else:
        assert expect.every is not None
        since = now - (expect.every.after(now) - now)
    names = [name for name in store.expectations.baselined_sources() if expect.watches(name)]
    seen_urls = {evidence.url for evidence in found if evidence.url}
    out = []
    for row in store.expectations.candidate_items(names, iso(since)):
        source = config.get(row["source"])
        day = evidence_day(row.get("published"), row.get("first_seen"))
        if source is None or day is None or (row["url"] and row["url"] in seen_urls):
            continue
        text = f"{row['title'] or ''}\n{row['text'] or ''}"
        if not plausible(expect, text):
            continue
        item = Item(row["item_id"], row["title"] or "", row["url"] or "", row.get("published"), row["text"] or "")
        analysis = analyzer(Change(row["source"], "new", item), source)
        if meets(expect, analysis.label, f"{text}\n{' '.join(analysis.matched)}", analysis.facts):
            out.append(_from_facts(day, "item", row, analysis.facts))
    return out


def _from_facts(
    day: date, kind: str, row: dict[str, Any], facts: dict[str, Any], event_id: int | None = None
) -> Evidence:
    year = facts.get("year")
    return Evidence(
        day=day,
        kind=kind,
        title=row.get("title") or "",
        url=row.get("url") or "",
        source=row.get("source") or "",
        year=year if isinstance(year, int) else None,
        event_id=event_id,
        withheld=bool(facts.get("figures_withheld")),
    )


def _history(expect: Expect, config: Config) -> list[Evidence]:
    if expect.history is None:
        return []
    path = history_file(expect.history, config.path)
    if path is None:
        return []
    out = []
    for row in load_notices(path):
        if any(key in row and str(row[key]) != str(want) for key, want in expect.facts.items()):
            continue
        day = notice_day(row)
        if day is None:
            continue
        title = batch_name(row) + (f" ({row['doc_no']})" if row.get("doc_no") else "")
        out.append(
            Evidence(
                day=day,
                kind="history",
                title=title,
                url=row.get("source_url", ""),
                source=expect.history,
                year=row.get("year"),
                withheld=bool(row.get("figures_withheld")),
            )
        )
    return out


def load_histories(config: Config) -> None:
    """Read every history an expectation names now, so a broken file is a configuration error at start."""
    for expect in config.expectations:
        if expect.history is not None:
            path = history_file(expect.history, config.path)
            if path is not None:
                load_notices(path)
