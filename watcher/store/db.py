"""The state database's connection: WAL mode, one lock, the clock, and transactions with readable errors."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Self

from sqlite_utils import Database

from watcher.core.errors import StateError
from watcher.core.timestamps import iso, utc_now
from watcher.store.schema import migrations

DB_NAME = "watcher.db"


class StateDB:
    """One SQLite connection shared by worker threads behind a lock, with the clock and transactions."""

    def __init__(self, db: Database, path: Path, clock: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.path = path
        self.clock = clock
        self.lock = threading.RLock()

    @classmethod
    def open(cls, state_dir: Path | str, clock: Callable[[], datetime] = utc_now) -> Self:
        """Open or create `state_dir/watcher.db`, in WAL mode, at the newest schema."""
        state_dir = Path(state_dir)
        try:
            path = _create_private(state_dir)
            connection = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
            db = Database(connection)
            db.execute("PRAGMA busy_timeout = 30000")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")
            # Writes are appends and lookups by key: 1 MiB of page cache does as well as the default 2 MiB
            # (which, with the statement cache, grew to about 4 MiB over a 1,000-source pass).
            db.execute("PRAGMA cache_size = -1024")
            migrations.apply(db)
        except sqlite3.DatabaseError as error:
            raise StateError(f"cannot open the state database in {state_dir}: {error}", hint=_hint(error)) from None
        except OSError as error:
            raise StateError(
                f"cannot use the state directory {state_dir}: {error.strerror}",
                hint="check that the directory exists and is writable by this user",
            ) from None
        return cls(db, path, clock)

    @classmethod
    def open_reader(cls, state_dir: Path | str, clock: Callable[[], datetime] = utc_now) -> Self:
        """A read-only connection to an existing state (the web view's, one per thread beside the daemon's).

        `PRAGMA query_only` makes any write fail; WAL lets it read while the daemon writes. The schema is
        not migrated here: open the state once with `open()` first.
        """
        path = Path(state_dir) / DB_NAME
        if not path.exists():
            raise StateError(f"no state in {state_dir}", hint="run `watcher check` or `watcher run` first")
        try:
            connection = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
            db = Database(connection)
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA query_only = ON")
            db.execute("PRAGMA cache_size = -8192")
        except sqlite3.DatabaseError as error:
            raise StateError(f"cannot open the state database in {state_dir}: {error}", hint=_hint(error)) from None
        return cls(db, path, clock)

    def now(self) -> str:
        return iso(self.clock())

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One atomic write; disk-full and locking errors become StateError with a hint."""
        with self.lock:
            try:
                with self.db.atomic():
                    yield self.db
            except sqlite3.OperationalError as error:
                raise StateError(f"cannot write the state database: {error}", hint=_hint(error)) from None

    def ping(self) -> bool:
        """True when the database answers a query (for /healthz)."""
        try:
            with self.lock:
                self.db.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def close(self) -> None:
        with self.lock:
            self.db.close()


def _hint(error: BaseException) -> str | None:
    text = str(error).lower()
    if "disk is full" in text or "disk i/o" in text:
        return "free disk space on the state volume; no alert is lost, checks resume when writes succeed"
    if "readonly" in text or "read-only" in text:
        return "the state directory must be writable by the user running watcher"
    if "locked" in text:
        return "another process holds the database; stop it or use another --state directory"
    if "not a database" in text or "malformed" in text:
        return "the file is not a watcher database or is damaged; move it away to start fresh"
    return None


def _create_private(state_dir: Path) -> Path:
    """The database path, creating the state directory (0700) and the database file (0600) if missing.

    The state holds what the watched pages said and where alerts went: it is the owner's. SQLite gives the
    -wal and -shm files the database file's mode. Existing files keep the mode their owner chose.
    """
    if not state_dir.exists():
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        state_dir.chmod(0o700)  # mkdir's mode is narrowed by the umask, never widened; make it exact
    path = state_dir / DB_NAME
    if not path.exists():
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    return path
