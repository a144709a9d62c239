"""What every request of the web view reads: the options it was started with and this thread's Store."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path

from flask import current_app, g

from watcher.store import Store


@dataclass
class WebOptions:
    """What the web view needs: where the state is, how to show times, and the token if one is required."""

    state_dir: Path
    zone: tzinfo = UTC  # an IANA zone (watcher.core.timestamps.zone), UTC by default
    token: str | None = None
    quota_history: Path | None = None  # None: the shipped watcher/data/quota_history.toml
    page_size: int = 50
    title: str = "watcher"


class Readers:
    """One read-only Store per server thread (SQLite connections stay in the thread that opened them)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store.open_reader(self.state_dir)
            self._local.store = store
            with self._lock:
                self._all.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._all:
                store.close()
            self._all.clear()


def store() -> Store:
    """This thread's read-only Store."""
    if "store" not in g:
        g.store = current_app.extensions["watcher.readers"].get()
    return g.store


def options() -> WebOptions:
    return current_app.config["WATCHER"]
