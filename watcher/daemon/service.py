"""`watcher run`: every source on its own schedule, for months, unattended.

Why a BackgroundScheduler driven by the main thread rather than a
BlockingScheduler: Python runs signal handlers in the main thread, between
two bytecodes of whatever it is doing. With a BlockingScheduler that is the
scheduler's own loop, possibly while it holds its job-store lock, so a
handler that reloads (adds and removes jobs) or stops could deadlock or
mutate the job store mid-iteration. Here the handlers only put a word on a
`SimpleQueue` (whose put is reentrant, safe in a handler) and the main thread
acts on it: reloads, stops, and pings the systemd watchdog between words.

Jobs:
- one per enabled source (`id` = its name) in a bounded pool of `--workers`
  threads sharing one Fetcher, so the per-host spacing holds across jobs;
- `ops:drain` (outbox) every 15 s, and right after a check that queued deliveries;
- `digest:<tag>` on each digest's cron schedule;
- `ops:watch`: polls the mtimes of sources.toml and alerts/ and asks for a reload;
- `ops:prune`: the retention, daily;
- `ops:expect`: the [[expect]] entries, at start, hourly, and right after a check that recorded an
  event of a label some entry waits for.
Housekeeping runs in its own small pool so busy checks never delay an alert.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.config.sources import Config, Source, load_config
from watcher.core.errors import StateError, WatcherError
from watcher.core.timestamps import iso, utc_now
from watcher.core.timestamps import parse as parse_stamp
from watcher.daemon.http import HealthServer, open_http
from watcher.daemon.metrics import DaemonMetrics
from watcher.daemon.plan import GridIntervalTrigger, SourceChanges, diff_sources, first_run, jitter_for
from watcher.daemon.signals import Mailbox
from watcher.daemon.statelock import StateLock
from watcher.daemon.systemd import Systemd
from watcher.daemon.watch import ConfigWatch
from watcher.pipeline.check import Pipeline, check_source
from watcher.pipeline.expect import evaluate_expectations
from watcher.pipeline.wiring import build_pipeline
from watcher.store import Store

if TYPE_CHECKING:
    from watcher.core.models import CheckResult

log = logging.getLogger(__name__)

TICK = 1.0  # seconds between two looks of the main loop at its queue, health and watchdog


@dataclass(frozen=True)
class DaemonOptions:
    sources_file: Path
    state_dir: Path
    alerts_dir: Path
    workers: int = 8
    stop_timeout: float = 30.0
    http: tuple[str, int] | None = None  # (host, port) for /healthz, /metrics and the web view; None = off
    http_token: str | None = None  # the web view's token (required off loopback for the web view)
    timezone: str | None = None  # the web view's zone; None: [settings] timezone, else UTC
    drain_every: float = 15.0
    watch_every: float = 2.0
    prune_every: float = 86400.0
    prune_delay: float = 300.0  # first pruning this long after the start
    expect_every: float = 3600.0  # between two evaluations of the [[expect]] entries


class Daemon:
    """Owns the lock, the store, the pipeline, the scheduler and the HTTP endpoint of one state directory."""

    def __init__(
        self, options: DaemonOptions, environ: dict[str, str] | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.options = options
        self.clock = clock  # the state's clock: what "now" is for due dates
        self.systemd = Systemd(environ)
        self.mailbox = Mailbox()
        self.stopping = threading.Event()
        self.lock = StateLock(options.state_dir)
        self.store: Store | None = None
        self.config: Config | None = None
        self.pipeline: Pipeline | None = None
        self.sources: dict[str, Source] = {}
        self.scheduler: BackgroundScheduler | None = None
        self.metrics: DaemonMetrics | None = None
        self.http: HealthServer | None = None
        self._running = 0
        self._running_lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._draining = self._drain_again = False
        self.watch = ConfigWatch(options.sources_file, options.alerts_dir)

    # -- life cycle ---------------------------------------------------------------------------------------

    def run(self, install_signals: bool = True) -> int:
        """Start, serve until a stop is asked, stop; the process exit code (0 after a clean stop)."""
        if install_signals:
            self.mailbox.install_signals()
            faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1` dumps every thread's stack
        self.lock.acquire()
        try:
            self.start()
            return self.serve()
        finally:
            self.close()

    def start(self) -> None:
        """Load and validate the configuration, open the state, schedule every job and start."""
        options = self.options
        config = load_config(options.sources_file)  # an invalid file stops the start (exit 2)
        self.store = Store.open(options.state_dir, clock=self.clock)
        self.metrics = DaemonMetrics(self.store, running=lambda: self._running)
        self.metrics.prime(self.store.reports.source_rows())
        self.watch.applied(self.watch.fingerprint(config))
        self.pipeline = self._build(config, previous=None)
        self.config = config
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(options.workers), "ops": ThreadPoolExecutor(4)},
            # never drop a run because workers were busy; merge a backlog into one run
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self.scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        _quiet_scheduler_logs()
        self._apply_sources({}, {source.name: source for source in config.enabled()})
        self._schedule_ops()
        self._schedule_digests()
        if options.http is not None:
            self.http = open_http(
                options.http,
                self.metrics.registry,
                self.health,
                state_dir=options.state_dir,
                token=options.http_token,
                timezone=options.timezone or getattr(config.settings, "timezone", None),
            )
            self.http.start()
        self.scheduler.start()
        self._record_next_runs(list(self.sources))
        log.info(
            "watcher running: %d sources, %d workers, state %s, pid %d",
            len(self.sources),
            options.workers,
            options.state_dir,
            os.getpid(),
        )
        self.systemd.ready(self.status_line())

    def serve(self) -> int:
        """The main loop: act on signals and reload requests, check health, ping the watchdog."""
        assert self.scheduler is not None
        last_status = time.monotonic()
        while True:
            for word, reason in self.mailbox.wait(TICK):
                if word == "stop":
                    return self.stop(reason)
                if word == "reload":
                    self.reload(reason)
            if not self.scheduler.running:
                log.error("the scheduler stopped unexpectedly; exiting so the service manager restarts watcher")
                return 1
            healthy, _ = self.health()
            if healthy:
                self.systemd.watchdog()
            if time.monotonic() - last_status >= 10:
                self.systemd.status(self.status_line())
                last_status = time.monotonic()

    def stop(self, reason: str = "") -> int:
        """No new check starts; running ones get `stop_timeout` seconds; pending deliveries stay in the outbox."""
        assert self.scheduler is not None
        self.stopping.set()
        running = self._running
        log.info(
            "stopping (%s): %d check(s) running, waiting up to %gs",
            reason or "asked",
            running,
            self.options.stop_timeout,
        )
        self.systemd.stopping(f"stopping, {running} checks running")
        self.scheduler.pause()
        waiter = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, name="stop", daemon=True)
        waiter.start()
        deadline = time.monotonic() + self.options.stop_timeout
        while waiter.is_alive() and time.monotonic() < deadline:
            waiter.join(min(0.05, max(0.0, deadline - time.monotonic())))
            self.mailbox.wait(0)  # a second signal exits there
        if waiter.is_alive():
            log.warning(
                "%d check(s) still running after %gs: leaving them; nothing partial is written (each check "
                "commits in one transaction) and the next start checks them again",
                self._running,
                self.options.stop_timeout,
            )
            logging.shutdown()
            os._exit(0)  # the worker threads would keep the interpreter alive
        log.info("stopped")
        return 0

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.store is not None:
            self.store.close()
        self.mailbox.close()
        self.lock.release()

    # -- configuration ------------------------------------------------------------------------------------

    def reload(self, reason: str) -> bool:
        """Re-read sources.toml and alerts/; apply them only if both are valid. True when applied."""
        assert self.metrics is not None and self.scheduler is not None
        self.systemd.reloading()
        fingerprint = self.watch.fingerprint(self.config)
        try:
            config = load_config(self.options.sources_file)
            pipeline = self._build(config, previous=self.pipeline)
        except Exception as error:  # a reload never takes the daemon down: the old configuration keeps running
            self.watch.applied(fingerprint)  # do not retry the same files on every poll
            self.metrics.reloads.labels("rejected").inc()
            log.error(
                "reload (%s) rejected, still running the previous configuration:\n%s",
                reason,
                error,
                exc_info=not isinstance(error, WatcherError),
            )
            self._health_alert(
                "watcher: configuration rejected",
                f"The new configuration was rejected ({reason}); watcher keeps running the previous "
                f"one. Fix the files and reload again.\n{error}",
            )
            self.systemd.ready(self.status_line())
            return False
        self.config, self.pipeline = config, pipeline
        changes = self._apply_sources(self.sources, {source.name: source for source in config.enabled()})
        self._schedule_digests()
        self._record_next_runs(changes.added + changes.rescheduled)
        self.watch.applied(fingerprint)  # an edit made while reading is seen by the next poll
        self.metrics.reloads.labels("applied").inc()
        log.info(
            "reloaded (%s): %d sources; added %s, removed %s, changed %s",
            reason,
            len(self.sources),
            _names(changes.added),
            _names(changes.removed),
            _names(changes.changed),
        )
        self.systemd.ready(self.status_line())
        return True

    def _build(self, config: Config, previous: Pipeline | None) -> Pipeline:
        assert self.store is not None and self.metrics is not None
        pipeline = build_pipeline(config, self.store, self.options.alerts_dir)
        if previous is not None and (previous.settings.user_agent, previous.settings.host_interval) == (
            config.settings.user_agent,
            config.settings.host_interval,
        ):
            pipeline.fetcher = previous.fetcher  # keep the host spacing and the open connections
        pipeline.on_result.extend([self.metrics.observe, self._after_check])
        return pipeline

    def _apply_sources(self, old: dict[str, Source], new: dict[str, Source]) -> SourceChanges:
        """Add, remove and reschedule check jobs so that they match `new`; the state is never touched."""
        assert self.scheduler is not None and self.store is not None and self.metrics is not None
        changes = diff_sources(old, new)
        now = datetime.now(UTC)
        last_checks = {name: row.get("last_check_at") for name, row in self.store.reports.source_rows().items()}
        for name in changes.removed:
            with suppress(JobLookupError):
                self.scheduler.remove_job(name)
            self.metrics.forget(name)
        for name in changes.added + changes.rescheduled:
            trigger = self._trigger(new[name], now, last_checks.get(name))
            self.scheduler.add_job(
                self._check_job,
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

    def _schedule_ops(self) -> None:
        """Housekeeping jobs; their ids hold a colon, which no source name can, so they never collide."""
        assert self.scheduler is not None
        now = datetime.now(UTC)
        every = self.options
        prune_start = now + timedelta(seconds=every.prune_delay)
        jobs = (  # (job, interval, id, name, first start, run at once)
            (self._drain_job, every.drain_every, "ops:drain", "drain outbox", now, True),
            (self._watch_job, every.watch_every, "ops:watch", "watch configuration files", now, False),
            (self._expect_job, every.expect_every, "ops:expect", "evaluate expectations", now, True),
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

    def _schedule_digests(self) -> None:
        assert self.scheduler is not None and self.pipeline is not None
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        notifier = self.pipeline.notifier
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

    # -- jobs ---------------------------------------------------------------------------------------------

    def _check_job(self, name: str) -> None:
        source, pipeline = self.sources.get(name), self.pipeline
        if self.stopping.is_set() or source is None or pipeline is None:
            return
        with self._counting():
            check_source(source, pipeline)

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        """A scheduler listener: a check was handed to a worker, so its next run is known; note it for status."""
        if event.job_id in self.sources:
            try:
                self._record_next_runs([event.job_id])
            except StateError as error:
                log.warning("cannot record the next run of %s: %s", event.job_id, error)

    def _after_check(self, result: CheckResult) -> None:
        """A `Pipeline.on_result` callback: a check that queued deliveries gets them drained now."""
        if any(event.get("routes") for event in result.events):
            self.request_drain()
        waited_for = {expect.label for expect in (self.config.expectations if self.config else ())}
        if self.scheduler is not None and any(event.get("label") in waited_for for event in result.events):
            with suppress(JobLookupError):  # a notice an entry waits for may close its alert: evaluate now
                self.scheduler.modify_job("ops:expect", next_run_time=datetime.now(UTC))

    def request_drain(self) -> None:
        with self._drain_lock:
            if self._draining:
                self._drain_again = True  # the running drain makes one more pass
                return
        if self.scheduler is not None and not self.stopping.is_set():
            with suppress(JobLookupError):
                self.scheduler.modify_job("ops:drain", next_run_time=datetime.now(UTC))

    def _drain_job(self) -> None:
        with self._drain_lock:
            self._draining, self._drain_again = True, False
        try:
            while not self.stopping.is_set():
                self._drain_once()
                with self._drain_lock:
                    if not self._drain_again:
                        break
                    self._drain_again = False
        finally:
            with self._drain_lock:
                self._draining = False

    def _drain_once(self) -> None:
        pipeline = self.pipeline
        if pipeline is None or self.metrics is None:
            return
        if pipeline.notifier is not None:
            self.metrics.observe_drain(pipeline.notifier.drain())
        elif pipeline.deliver is not None:
            pipeline.deliver()

    def _digest_job(self) -> None:
        pipeline = self.pipeline
        if not self.stopping.is_set() and pipeline is not None and pipeline.notifier is not None:
            pipeline.notifier.send_due_digests()

    def _expect_job(self) -> None:
        config, pipeline = self.config, self.pipeline
        if self.stopping.is_set() or config is None or pipeline is None or self.metrics is None:
            return
        outcomes = evaluate_expectations(config, pipeline)
        self.metrics.observe_expectations(outcomes)
        if any(outcome.event and outcome.event.get("routes") for outcome in outcomes):
            self.request_drain()

    def _watch_job(self) -> None:
        changed = self.watch.poll(self.config)
        if changed:
            self.mailbox.post("reload", "changed: " + ", ".join(Path(path).name for path in changed[:5]))

    def _prune_job(self) -> None:
        if self.store is None or self.config is None or self.stopping.is_set():
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

    # -- views --------------------------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        """For /healthz and the watchdog: the scheduler runs and the database answers."""
        if self.stopping.is_set():
            return False, {"status": "stopping", "reason": "the daemon is stopping"}
        if self.scheduler is None or not self.scheduler.running:
            return False, {"status": "unavailable", "reason": "the scheduler is not running"}
        if self.store is None or not self.store.ping():
            return False, {"status": "unavailable", "reason": "the state database does not answer"}
        return True, {
            "status": "ok",
            "pid": os.getpid(),
            "sources": len(self.sources),
            "checks_running": self._running,
            "outbox": self.store.outbox.outbox_counts(),
        }

    def status_line(self) -> str:
        pending = self.store.outbox.outbox_counts().get("pending", 0) if self.store is not None else 0
        return f"{len(self.sources)} sources, {self._running} checks running, {pending} deliveries pending"

    @contextmanager
    def _counting(self) -> Iterator[None]:
        with self._running_lock:
            self._running += 1
        try:
            yield
        finally:
            with self._running_lock:
                self._running -= 1

    def _record_next_runs(self, names: list[str]) -> None:
        """Write the next run of these sources to the state, for `watcher status`."""
        if self.scheduler is None or self.store is None:
            return
        runs = []
        for name in names:
            job, source = self.scheduler.get_job(name), self.sources.get(name)
            if source is not None:
                when = job.next_run_time if job is not None else None
                runs.append((name, source.url, source.kind, iso(when) if when is not None else None))
        self.store.upkeep.set_next_runs(runs)

    def _health_alert(self, title: str, summary: str) -> None:
        if self.pipeline is None or self.pipeline.notifier is None:
            return
        try:
            self.pipeline.notifier.health_alert(title, summary)
            self.request_drain()
        except Exception:
            log.exception("cannot record the health alert %r", title)


def _names(names: list[str]) -> str:
    if not names:
        return "none"
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def _quiet_scheduler_logs() -> None:
    """APScheduler logs every job run at INFO; our own line per check says more. Keep its warnings."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
