"""Notice edits of sources.toml, alerts/ and the user lexicon, by polling their mtimes.

Polling a handful of files every few seconds costs nothing and needs no
dependency (inotify does not see edits through a bind mount or a ConfigMap's
symlink swap anyway). A change is reported once it has held still for one
poll, because editors often write a file in two steps and the half-written
version would be rejected with a needless ops alert.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watcher.config.sources import Config

Fingerprint = tuple[tuple[str, int | None, int | None], ...]
_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".bak")


class ConfigWatch:
    def __init__(self, sources_file: Path, alerts_dir: Path) -> None:
        self.sources_file = sources_file
        self.alerts_dir = alerts_dir
        self._applied: Fingerprint = ()
        self._pending: Fingerprint | None = None

    def fingerprint(self, config: Config | None) -> Fingerprint:
        """(path, mtime_ns, size) of each file the configuration is read from."""
        paths = [self.sources_file]
        if self.alerts_dir.is_dir():
            paths += sorted(
                path
                for path in self.alerts_dir.rglob("*")
                if path.is_file() and not path.name.startswith(".") and not path.name.endswith(_IGNORED_SUFFIXES)
            )
        if config is not None and config.settings.lexicon is not None:
            lexicon = config.settings.lexicon  # relative to sources.toml, as runtime.make_analyzer reads it
            paths.append(lexicon if lexicon.is_absolute() else config.path.parent / lexicon)
        stamps: list[tuple[str, int | None, int | None]] = []
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                stamps.append((str(path), None, None))
            else:
                stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(stamps)

    def applied(self, fingerprint: Fingerprint) -> None:
        """These files were read (and applied or rejected): do not report them again."""
        self._applied, self._pending = fingerprint, None

    def poll(self, config: Config | None) -> list[str] | None:
        """The files that changed since the last reload, once the change has held still; else None."""
        current = self.fingerprint(config)
        if current == self._applied:
            self._pending = None
            return None
        if current != self._pending:
            self._pending = current
            return None
        changed = sorted({entry[0] for entry in set(current) ^ set(self._applied)})
        self.applied(current)
        return changed
