"""Load what alerts/ holds and build the notifier: the one place delivery is assembled.

Nothing heavy is imported here: routing needs only routes.toml, and Apprise and Jinja2 load when
something is sent or validated.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watcher.config.sources import Config
    from watcher.core.labels import Labels
    from watcher.notify.channels import Channels
    from watcher.notify.render import Renderer
    from watcher.notify.routes import Routes
    from watcher.notify.sender import Notifier
    from watcher.store import Store


def load_alerts(alerts_dir: Path | None, labels: Labels | None = None) -> tuple[Channels, Routes, Renderer]:
    """Read and validate everything in alerts/ (raises ConfigError naming the file and the problem)."""
    from watcher.notify.channels import load_channels
    from watcher.notify.render import Renderer
    from watcher.notify.routes import load_routes

    return load_channels(alerts_dir), load_routes(alerts_dir, labels), Renderer(alerts_dir, labels)


def build_notifier(config: Config, store: Store, alerts_dir: Path | None, validate: bool = True) -> Notifier:
    """A notifier for these sources; `validate=False` defers loading channels and templates to the first send."""
    from watcher.notify.routes import load_routes
    from watcher.notify.sender import Notifier

    publishers = {source.name: source.publisher for source in config.sources}
    notifier = Notifier(
        store,
        load_routes(alerts_dir, config.labels),
        alerts_dir,
        publishers,
        labels=config.labels,
        timezone=config.settings.timezone,
    )
    if validate:
        notifier.validate()
    return notifier
