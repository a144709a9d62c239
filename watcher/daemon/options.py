"""What `watcher run` was asked: files, workers, the HTTP endpoint, and how often each housekeeping job runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
