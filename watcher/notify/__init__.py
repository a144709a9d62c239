"""Delivery: channels (alerts/apprise.yml), routes (alerts/routes.toml), templates and the outbox sender."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from watcher.notify.channels import Channels, load_channels
from watcher.notify.render import Renderer
from watcher.notify.routes import Router, Routes, load_routes
from watcher.notify.sender import DrainReport, Notifier

if TYPE_CHECKING:
    from watcher.config import Config
    from watcher.store import Store

__all__ = ["Channels", "DrainReport", "Notifier", "Router", "Routes", "build_notifier", "load_alerts"]


def load_alerts(alerts_dir: Path | None) -> tuple[Channels, Routes, Renderer]:
    """Read and validate everything in alerts/ (raises ConfigError naming the file and the problem)."""
    return load_channels(alerts_dir), load_routes(alerts_dir), Renderer(alerts_dir)


def build_notifier(config: Config, store: Store, alerts_dir: Path | None) -> Notifier:
    channels, routes, renderer = load_alerts(alerts_dir)
    publishers = {source.name: source.publisher for source in config.sources}
    return Notifier(store, channels, routes, renderer, publishers)
