"""What every subcommand needs: where the configuration and state live, opened on demand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from watcher.core.timestamps import utc_now

if TYPE_CHECKING:
    from watcher.config.sources import Config
    from watcher.store import Store


@dataclass
class AppContext:
    sources_file: Path
    state_dir: Path
    alerts_dir: Path
    _config: Config | None = field(default=None, repr=False)
    clock: Callable[[], datetime] = field(default=utc_now, repr=False)  # "now" of the state: due dates, stamps

    def config(self) -> Config:
        """Load and validate sources.toml once per command (raises ConfigError)."""
        if self._config is None:
            from watcher.config.sources import load_config

            self._config = load_config(self.sources_file)
        return self._config

    def timezone(self) -> str:
        """`[settings] timezone`, the zone times are shown in; UTC when sources.toml cannot be read."""
        from watcher.core.errors import ConfigError

        try:
            return self.config().settings.timezone
        except ConfigError:
            return "UTC"

    def store(self) -> Store:
        """Open (and if needed create) the state database."""
        from watcher.store import Store

        return Store.open(self.state_dir, clock=self.clock)

    def existing_store(self) -> Store | None:
        """The state database if one exists: read-only commands must not create state."""
        from watcher.store import DB_NAME

        return self.store() if (self.state_dir / DB_NAME).exists() else None
