"""Assemble a Pipeline from configuration: the one place where the stages are wired together."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from watcher.detail import DetailReader
from watcher.fetch import Fetcher
from watcher.pipeline import Pipeline

if TYPE_CHECKING:
    from watcher.config import Config
    from watcher.store import Store


def build_pipeline(config: Config, store: Store, alerts_dir: Path | None = None) -> Pipeline:
    """A pipeline for these sources and this state: HTTP client, classifier and router.

    Without `alerts_dir`, events are recorded but nothing is routed or delivered.
    """
    settings = config.settings
    fetcher = Fetcher(user_agent=settings.user_agent, host_interval=settings.host_interval)
    return Pipeline(store=store, fetcher=fetcher, settings=settings, enricher=DetailReader())
