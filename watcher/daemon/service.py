"""`watcher run`: every source on its own schedule, for months, unattended.

Why a BackgroundScheduler driven by the main thread rather than a
BlockingScheduler: Python runs signal handlers in the main thread, between
two bytecodes of whatever it is doing. With a BlockingScheduler that is the
scheduler's own loop, possibly while it holds its job-store lock, so a
handler that reloads (adds and removes jobs) or stops could deadlock or
mutate the job store mid-iteration. Here the handlers only put a word on a
`SimpleQueue` (whose put is reentrant, safe in a handler) and the main thread
acts on it: reloads, stops, and pings the systemd watchdog between words.

This module is the life cycle: start, serve, reload, stop, health. The jobs the
scheduler runs (a check per source, the outbox drain, digests, the watch of the
files, pruning, expectations) are watcher.daemon.jobs.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from watcher.config.sources import Config, Source, load_config
from watcher.core.errors import WatcherError
from watcher.core.timestamps import utc_now
from watcher.daemon.http import HealthServer, open_http
from watcher.daemon.jobs import Jobs
from watcher.daemon.metrics import DaemonMetrics
from watcher.daemon.options import DaemonOptions
from watcher.daemon.signals import Mailbox
from watcher.daemon.statelock import StateLock
from watcher.daemon.systemd import Systemd
from watcher.daemon.watch import ConfigWatch
from watcher.pipeline.check import Pipeline
from watcher.pipeline.wiring import build_pipeline
from watcher.store import Store

__all__ = ["Daemon", "DaemonOptions"]

log = logging.getLogger(__name__)

TICK = 1.0  # seconds between two looks of the main loop at its queue, health and watchdog


class Daemon:
    """Owns the lock, the store, the pipeline, the scheduler's jobs and the HTTP endpoint of one state directory."""

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
        self.jobs: Jobs | None = None
        self.metrics: DaemonMetrics | None = None
        self.http: HealthServer | None = None
        self.watch = ConfigWatch(options.sources_file, options.alerts_dir)

    @property
    def config(self) -> Config | None:
        return self.jobs.config if self.jobs is not None else None

    @property
    def pipeline(self) -> Pipeline | None:
        return self.jobs.pipeline if self.jobs is not None else None

    @property
    def sources(self) -> dict[str, Source]:
        return self.jobs.sources if self.jobs is not None else {}

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
        self.metrics = DaemonMetrics(self.store, running=lambda: self.jobs.running if self.jobs else 0)
        self.metrics.prime(self.store.reports.source_rows())
        self.watch.applied(self.watch.fingerprint(config))
        jobs = self.jobs = Jobs(options, self.store, self.metrics, self.watch, self.stopping, self.mailbox.post)
        jobs.use(config, self._build(config, previous=None))
        _quiet_scheduler_logs()
        jobs.apply_sources({source.name: source for source in config.enabled()})
        jobs.schedule_ops()
        jobs.schedule_digests()
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
        jobs.scheduler.start()
        jobs.record_next_runs(list(jobs.sources))
        log.info(
            "watcher running: %d sources, %d workers, state %s, pid %d",
            len(jobs.sources),
            options.workers,
            options.state_dir,
            os.getpid(),
        )
        self.systemd.ready(self.status_line())

    def serve(self) -> int:
        """The main loop: act on signals and reload requests, check health, ping the watchdog."""
        assert self.jobs is not None
        last_status = time.monotonic()
        while True:
            for word, reason in self.mailbox.wait(TICK):
                if word == "stop":
                    return self.stop(reason)
                if word == "reload":
                    self.reload(reason)
            if not self.jobs.scheduler.running:
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
        assert self.jobs is not None
        scheduler = self.jobs.scheduler
        self.stopping.set()
        running = self.jobs.running
        log.info(
            "stopping (%s): %d check(s) running, waiting up to %gs",
            reason or "asked",
            running,
            self.options.stop_timeout,
        )
        self.systemd.stopping(f"stopping, {running} checks running")
        scheduler.pause()
        waiter = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, name="stop", daemon=True)
        waiter.start()
        deadline = time.monotonic() + self.options.stop_timeout
        while waiter.is_alive() and time.monotonic() < deadline:
            waiter.join(min(0.05, max(0.0, deadline - time.monotonic())))
            self.mailbox.wait(0)  # a second signal exits there
        if waiter.is_alive():
            log.warning(
                "%d check(s) still running after %gs: leaving them; nothing partial is written (each check "
                "commits in one transaction) and the next start checks them again",
                self.jobs.running,
                self.options.stop_timeout,
            )
            logging.shutdown()
            os._exit(0)  # the worker threads would keep the interpreter alive
        log.info("stopped")
        return 0

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.jobs is not None and self.jobs.scheduler.running:
            self.jobs.scheduler.shutdown(wait=False)
        if self.store is not None:
            self.store.close()
        self.mailbox.close()
        self.lock.release()

    # -- configuration ------------------------------------------------------------------------------------

    def reload(self, reason: str) -> bool:
        """Re-read sources.toml and alerts/; apply them only if both are valid. True when applied."""
        assert self.metrics is not None and self.jobs is not None
        jobs = self.jobs
        self.systemd.reloading()
        fingerprint = self.watch.fingerprint(jobs.config)
        try:
            config = load_config(self.options.sources_file)
            pipeline = self._build(config, previous=jobs.pipeline)
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
        jobs.use(config, pipeline)
        changes = jobs.apply_sources({source.name: source for source in config.enabled()})
        jobs.schedule_digests()
        jobs.record_next_runs(changes.added + changes.rescheduled)
        self.watch.applied(fingerprint)  # an edit made while reading is seen by the next poll
        self.metrics.reloads.labels("applied").inc()
        log.info(
            "reloaded (%s): %d sources; added %s, removed %s, changed %s",
            reason,
            len(jobs.sources),
            _names(changes.added),
            _names(changes.removed),
            _names(changes.changed),
        )
        self.systemd.ready(self.status_line())
        return True

    def _build(self, config: Config, previous: Pipeline | None) -> Pipeline:
        assert self.store is not None and self.metrics is not None and self.jobs is not None
        pipeline = build_pipeline(config, self.store, self.options.alerts_dir)
        if previous is not None and (previous.settings.user_agent, previous.settings.host_interval) == (
            config.settings.user_agent,
            config.settings.host_interval,
        ):
            pipeline.fetcher = previous.fetcher  # keep the host spacing and the open connections
        pipeline.on_result.extend([self.metrics.observe, self.jobs.after_check])
        return pipeline

    # -- views --------------------------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        """For /healthz and the watchdog: the scheduler runs and the database answers."""
        if self.stopping.is_set():
            return False, {"status": "stopping", "reason": "the daemon is stopping"}
        if self.jobs is None or not self.jobs.scheduler.running:
            return False, {"status": "unavailable", "reason": "the scheduler is not running"}
        if self.store is None or not self.store.ping():
            return False, {"status": "unavailable", "reason": "the state database does not answer"}
        return True, {
            "status": "ok",
            "pid": os.getpid(),
            "sources": len(self.jobs.sources),
            "checks_running": self.jobs.running,
            "outbox": self.store.outbox.outbox_counts(),
        }

    def status_line(self) -> str:
        pending = self.store.outbox.outbox_counts().get("pending", 0) if self.store is not None else 0
        running = self.jobs.running if self.jobs is not None else 0
        return f"{len(self.sources)} sources, {running} checks running, {pending} deliveries pending"

    def _health_alert(self, title: str, summary: str) -> None:
        if self.jobs is None or self.pipeline is None or self.pipeline.notifier is None:
            return
        try:
            self.pipeline.notifier.health_alert(title, summary)
            self.jobs.request_drain()
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
