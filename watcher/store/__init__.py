"""SQLite state through sqlite-utils: the only package that speaks SQL.

One connection per Store, shared by worker threads behind a lock: checks fetch
and parse in parallel, and each check's results are written in one short
transaction, so a crash never leaves half a check behind. The tables are read
and written by topic: `store.checks`, `store.events`, `store.outbox`,
`store.reports`, `store.upkeep`, `store.views` (what people read: lists, search, stories) and
`store.expectations`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from watcher.core.timestamps import utc_now
from watcher.store.checks import CheckRecords
from watcher.store.db import DB_NAME, StateDB
from watcher.store.events import EventRecords
from watcher.store.expectations import ExpectationRecords
from watcher.store.maintenance import Maintenance
from watcher.store.outbox import OutboxRecords
from watcher.store.reports import Reports
from watcher.store.views import EventViews

__all__ = ["DB_NAME", "Store"]


class Store(StateDB):
    """The state database of one state directory, with its tables grouped by topic."""

    def __init__(self, db: Database, path: Path, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(db, path, clock)
        self.events = EventRecords(self)
        self.checks = CheckRecords(self, self.events)
        self.outbox = OutboxRecords(self)
        self.reports = Reports(self)
        self.upkeep = Maintenance(self)
        self.views = EventViews(self)
        self.expectations = ExpectationRecords(self, self.events)
