"""Prometheus metrics of a running daemon.

Counters are fed by `Pipeline.on_result` (one call per check) and by the
daemon's jobs; the outbox figures are read from the database at scrape time,
so they are true even for rows written by `watcher check` or before a restart.
Each daemon has its own registry: nothing global, tests can build several.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from watcher.core.timestamps import epoch

if TYPE_CHECKING:
    from watcher.core.models import CheckResult
    from watcher.store import Store

SUCCESS = ("ok", "unchanged", "baseline")
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def stamp_seconds(stamp: str) -> float:
    """A stored UTC stamp (2026-11-29T19:46:09Z) as Unix seconds."""
    return epoch(stamp)


class DaemonMetrics:
    """Every metric `/metrics` serves, in one registry."""

    def __init__(self, store: Store, running: Callable[[], int] = lambda: 0) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.checks = Counter("watcher_checks", "Checks run, by source and status.", ["source", "status"], registry=r)
        self.check_seconds = Histogram(
            "watcher_check_duration_seconds",
            "Time one check took, fetch to commit.",
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.items = Gauge(
            "watcher_items_seen", "Items the source listed at its last full read.", ["source"], registry=r
        )
        self.changes = Counter(
            "watcher_changes",
            "Changes found, by source and change (new, changed, removed).",
            ["source", "change"],
            registry=r,
        )
        self.events = Counter(
            "watcher_events",
            "Events recorded (merged reports excluded), by label and severity.",
            ["label", "severity"],
            registry=r,
        )
        self.deliveries = Counter(
            "watcher_deliveries", "Outbox deliveries attempted by this process, by result.", ["result"], registry=r
        )
        self.last_success = Gauge(
            "watcher_last_success_timestamp_seconds", "When each source last checked fine.", ["source"], registry=r
        )
        self.sources = Gauge("watcher_sources_scheduled", "Sources with a scheduled check job.", registry=r)
        self.reloads = Counter(
            "watcher_reloads", "Configuration reloads, by result (applied, rejected).", ["result"], registry=r
        )
        self.expect_overdue = Gauge(
            "watcher_expectation_overdue",
            "1 while an [[expect]] entry is overdue (past its due date and grace time), else 0.",
            ["expectation"],
            registry=r,
        )
        self.expect_overdue_days = Gauge(
            "watcher_expectation_overdue_days",
            "Days past the due date of an [[expect]] entry that is overdue; 0 otherwise.",
            ["expectation"],
            registry=r,
        )
        self._expectations: set[str] = set()
        self.started = Gauge("watcher_start_time_seconds", "When this daemon started.", registry=r)
        self.started.set_to_current_time()
        r.register(_StoreCollector(store, running))

    def prime(self, source_rows: dict[str, dict[str, Any]]) -> None:
        """Start the per-source gauges from the stored state, so a restart does not zero them."""
        for name, row in source_rows.items():
            if row.get("last_success_at"):
                self.last_success.labels(name).set(stamp_seconds(row["last_success_at"]))
            if row.get("item_count"):
                self.items.labels(name).set(row["item_count"])

    def observe(self, result: CheckResult) -> None:
        """A `Pipeline.on_result` callback: count one finished check."""
        self.checks.labels(result.source, result.status).inc()
        self.check_seconds.observe(result.duration)
        if result.status in ("ok", "baseline"):
            self.items.labels(result.source).set(result.items)
        if result.status in SUCCESS:
            self.last_success.labels(result.source).set(stamp_seconds(result.started_at))
        for change in ("new", "changed", "removed"):
            count = result.count(change)
            if count:
                self.changes.labels(result.source, change).inc(count)
        for event in result.events:
            if not event.get("merged"):
                self.events.labels(event.get("label", "?"), event.get("severity", "?")).inc()

    def observe_drain(self, report: Any) -> None:
        """Count a drain's outcome: deliveries sent, failed but retrying, and dead."""
        for result in ("sent", "retrying", "dead"):
            value = getattr(report, result, None)
            if isinstance(value, dict):  # counts by Apprise tag
                value = sum(value.values())
            if isinstance(value, int) and value > 0:
                self.deliveries.labels(result).inc(value)

    def observe_expectations(self, outcomes: list[Any]) -> None:
        """Set the overdue gauges from an evaluation (`pipeline.expect.Outcome`s); drop removed entries."""
        names = set()
        for outcome in outcomes:
            name, standing = outcome.expect.name, outcome.standing
            overdue = standing.status == "overdue"
            self.expect_overdue.labels(name).set(1 if overdue else 0)
            self.expect_overdue_days.labels(name).set(standing.overdue_days if overdue else 0)
            names.add(name)
        for name in self._expectations - names:
            for metric in (self.expect_overdue, self.expect_overdue_days):
                with contextlib.suppress(KeyError):
                    metric.remove(name)
        self._expectations = names

    def forget(self, source: str) -> None:
        """Drop a removed source's per-source series."""
        for metric in (self.items, self.last_success):
            with contextlib.suppress(KeyError):
                metric.remove(source)


class _StoreCollector(Collector):
    """Outbox depth and rows by status, read from the database on each scrape."""

    def __init__(self, store: Store, running: Callable[[], int]) -> None:
        self.store = store
        self.running = running

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.store.outbox.outbox_counts()
        depth = GaugeMetricFamily("watcher_outbox_depth", "Deliveries waiting to be sent (pending).")
        depth.add_metric([], counts.get("pending", 0))
        yield depth
        rows = GaugeMetricFamily(
            "watcher_outbox_rows", "Outbox rows by status (pending, sending, sent, dead).", labels=["status"]
        )
        for status in sorted({"pending", "sending", "sent", "dead", *counts}):
            rows.add_metric([status], counts.get(status, 0))
        yield rows
        running = GaugeMetricFamily("watcher_checks_running", "Checks in progress right now.")
        running.add_metric([], self.running())
        yield running
