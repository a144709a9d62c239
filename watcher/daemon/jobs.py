"""The daemon's scheduler and what it runs: one check job per source, and the housekeeping.

Jobs:
- one per enabled source (`id` = its name) in a bounded pool of `--workers`
  threads sharing one Fetcher, so the per-host spacing holds across jobs;
- `ops:drain` (outbox) every 15 s, and right after a check that queued deliveries;
- `digest:<tag>` on each digest's cron schedule;
- `ops:watch`: polls the mtimes of sources.toml and alerts/ and asks for a reload;
- `ops:prune`: the retention, daily;
- `ops:expect`: the [[expect]] entries, at start, hourly, and right after a check that recorded an
  event of a label some entry waits for.
Housekeeping runs in its own small pool so busy checks never delay an alert. The life cycle
(start, reload, stop, health) is watcher.daemon.service; it hands this the configuration and
pipeline in force with `use`, and a check job looks its source up at run time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.core.errors import StateError
from watcher.core.timestamps import iso
from watcher.core.timestamps import parse as parse_stamp
from watcher.daemon.plan import GridIntervalTrigger, SourceChanges, diff_sources, first_run, jitter_for
from watcher.pipeline.check import check_source
from watcher.pipeline.expect import evaluate_expectations

if TYPE_CHECKING:
    from watcher.config.sources import Config, Source
    from watcher.core.models import CheckResult
    from watcher.daemon.metrics import DaemonMetrics
    from watcher.daemon.options import DaemonOptions
    from watcher.daemon.watch import ConfigWatch
    from watcher.pipeline.check import Pipeline
    from watcher.store import Store

log = logging.getLogger(__name__)


class Jobs:
    """The scheduler of one daemon, its check jobs and its housekeeping jobs."""

    def __init__(
        self,
        options: DaemonOptions,
        store: Store,
        metrics: DaemonMetrics,
        watch: ConfigWatch,
        stopping: threading.Event,
        post: Callable[[str, str], None],
    ) -> None:
        self.options, self.store, self.metrics, self.watch = options, store, metrics, watch
        self.stopping = stopping  # set once a stop is asked: no job starts anything new
        self.post = post  # asks the daemon's main loop for something ("reload", reason)
        self.config: Config | None = None
        self.pipeline: Pipeline | None = None
        self.sources: dict[str, Source] = {}
        self.running = 0  # checks running now
        self._running_lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._draining = self._drain_again = False
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(options.workers), "ops": ThreadPoolExecutor(4)},
            # never drop a run because workers were busy; merge a backlog into one run
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self.scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)

    def use(self, config: Config, pipeline: Pipeline) -> None:
        """The configuration and pipeline the next jobs run with (at start and after each applied reload)."""
        self.config, self.pipeline = config, pipeline

    # -- scheduling ---------------------------------------------------------------------------------------

    def apply_sources(self, new: dict[str, Source]) -> SourceChanges:
        """Add, remove and reschedule check jobs so that they match `new`; the state is never touched."""
        changes = diff_sources(self.sources, new)
        now = datetime.now(UTC)
        last_checks = {name: row.get("last_check_at") for name, row in self.store.reports.source_rows().items()}
        for name in changes.removed:
            with suppress(JobLookupError):
                self.scheduler.remove_job(name)
            self.metrics.forget(name)
        for name in changes.added + changes.rescheduled:
            trigger = self._trigger(new[name], now, last_checks.get(name))
            self.scheduler.add_job(
                self.check,
                trigger,
                args=[name],
                id=name,
                name=f"check {name}",
                replace_existing=True,
                executor="default",
            )
        self.sources = new  # jobs look their Source up here at run time: a changed source needs no new job
        if changes.removed:
            self.store.upkeep.set_next_runs((name, "", "", None) for name in changes.removed)
        self.metrics.sources.set(len(new))
        return changes

    @staticmethod
    def _trigger(source: Source, now: datetime, last_check: str | None) -> GridIntervalTrigger:
        last = parse_stamp(last_check) if last_check else None
        start = first_run(source.name, source.interval, now, last)
        return GridIntervalTrigger(seconds=source.interval, start_date=start, jitter=jitter_for(source.interval))

    def schedule_ops(self) -> None:
        """Housekeeping jobs; their ids hold a colon, which no source name can, so they never collide."""
        now = datetime.now(UTC)
        every = self.options
        prune_start = now + timedelta(seconds=every.prune_delay)
        jobs: tuple[tuple[Callable[[], None], float, str, str, datetime, bool], ...] = (
            # (job, interval, id, name, first start, run at once)
            (self._drain_job, every.drain_every, "ops:drain", "drain outbox", now, True),
            (self._watch_job, every.watch_every, "ops:watch", "watch configuration files", now, False),
            (self.expect, every.expect_every, "ops:expect", "evaluate expectations", now, True),
            (self._prune_job, every.prune_every, "ops:prune", "prune old rows", prune_start, False),
        )
        for job, seconds, job_id, name, start, at_once in jobs:
            self.scheduler.add_job(
                job,
                IntervalTrigger(seconds=seconds, start_date=start),
                id=job_id,
                name=name,
                executor="ops",
                **({"next_run_time": now} if at_once else {}),
            )

    def schedule_digests(self) -> None:
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        notifier = self.pipeline.notifier if self.pipeline is not None else None
        if notifier is None:
            return
        for tag, cron in notifier.digest_schedules():
            self.scheduler.add_job(
                self._digest_job,
                CronTrigger(**cron),
                id=f"digest:{tag}",
                name=f"digest {tag}",
                executor="ops",
                replace_existing=True,
            )

    def record_next_runs(self, names: list[str]) -> None:
        """Write the next run of these sources to the state, for `watcher status`."""
        runs = []
        for name in names:
            job, source = self.scheduler.get_job(name), self.sources.get(name)
            if source is not None:
                when = job.next_run_time if job is not None else None
                runs.append((name, source.url, source.kind, iso(when) if when is not None else None))
        self.store.upkeep.set_next_runs(runs)

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        """A scheduler listener: a check was handed to a worker, so its next run is known; note it for status."""
        if event.job_id in self.sources:
            try:
                self.record_next_runs([event.job_id])
            except StateError as error:
                log.warning("cannot record the next run of %s: %s", event.job_id, error)

    # -- jobs ---------------------------------------------------------------------------------------------

    def check(self, name: str) -> None:
        """The job of one source: check it once with the pipeline in force now."""
        source, pipeline = self.sources.get(name), self.pipeline
        if self.stopping.is_set() or source is None or pipeline is None:
            return
        with self._counting():
            check_source(source, pipeline)

    def after_check(self, result: CheckResult) -> None:
        """A `Pipeline.on_result` callback: a check that queued deliveries gets them drained now."""
        if any(event.get("routes") for event in result.events):
            self.request_drain()
        waited_for = {expect.label for expect in (self.config.expectations if self.config else ())}
        if any(event.get("label") in waited_for for event in result.events):
            with suppress(JobLookupError):  # a notice an entry waits for may close its alert: evaluate now
                self.scheduler.modify_job("ops:expect", next_run_time=datetime.now(UTC))

    def request_drain(self) -> None:
        with self._drain_lock:
            if self._draining:
                self._drain_again = True  # the running drain makes one more pass
                return
        if not self.stopping.is_set():
            with suppress(JobLookupError):
                self.scheduler.modify_job("ops:drain", next_run_time=datetime.now(UTC))

    def _drain_job(self) -> None:
        with self._drain_lock:
            self._draining, self._drain_again = True, False
        try:
            while not self.stopping.is_set():
                self.drain_once()
                with self._drain_lock:
                    if not self._drain_again:
                        break
                    self._drain_again = False
        finally:
            with self._drain_lock:
                self._draining = False

    def drain_once(self) -> None:
        pipeline = self.pipeline
        if pipeline is None:
            return
        if pipeline.notifier is not None:
            self.metrics.observe_drain(pipeline.notifier.drain())
        elif pipeline.deliver is not None:
            pipeline.deliver()

    def _digest_job(self) -> None:
        pipeline = self.pipeline
        if not self.stopping.is_set() and pipeline is not None and pipeline.notifier is not None:
            pipeline.notifier.send_due_digests()

    def expect(self) -> None:
        """Evaluate the [[expect]] entries once; an alert raised or closed is drained at once."""
        config, pipeline = self.config, self.pipeline
        if self.stopping.is_set() or config is None or pipeline is None:
            return
        outcomes = evaluate_expectations(config, pipeline)
        self.metrics.observe_expectations(outcomes)
        if any(outcome.event and outcome.event.get("routes") for outcome in outcomes):
            self.request_drain()

    def _watch_job(self) -> None:
        changed = self.watch.poll(self.config)
        if changed:
            self.post("reload", "changed: " + ", ".join(Path(path).name for path in changed[:5]))

    def _prune_job(self) -> None:
        if self.config is None or self.stopping.is_set():
            return
        cutoff = iso(datetime.now(UTC) - timedelta(seconds=self.config.settings.retention))
        counts = self.store.upkeep.prune(cutoff)
        history_cutoff = iso(datetime.now(UTC) - timedelta(seconds=self.config.settings.history_retention))
        old = self.store.upkeep.prune_history(history_cutoff)
        log.info(
            "pruned rows older than %s: %d checks, %d deliveries, %d attempts; older than %s: %d events, "
            "%d changes, %d gone items",
            cutoff,
            counts["checks"],
            counts["deliveries"],
            counts["attempts"],
            history_cutoff,
            old["events"],
            old["changes"],
            old["items"],
        )

    @contextmanager
    def _counting(self) -> Iterator[None]:
        with self._running_lock:
            self.running += 1
        try:
            yield
        finally:
            with self._running_lock:
                self.running -= 1
