"""Upkeep for a daemon that runs for months: retention and next-run times.

Retention deletes only what is bookkeeping: the check log and delivered outbox
rows (with their attempts). Events, items and changes are the record of what
happened and are kept. Deletes run in small batches, each its own
transaction, so a year of backlog never holds the write lock for long while
checks are waiting to commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watcher.store.db import StateDB

_DELIVERED_SQL = "status = 'sent' AND COALESCE(sent_at, created_at) < ?"


class Maintenance:
    """Retention and next-run times."""

    def __init__(self, state: StateDB) -> None:
        self.state = state

    def prune(self, cutoff: str, *, dry_run: bool = False, batch: int = 5000) -> dict[str, int]:
        """Delete check-log rows and delivered outbox rows (and their attempts) older than `cutoff`.

        `cutoff` is a stored UTC stamp; returns how many rows of each table went (or would go).
        """
        if dry_run:
            return self._prune_counts(cutoff)
        counts = {"checks": 0, "deliveries": 0, "attempts": 0}
        while True:
            with self.state.transaction() as db:
                deleted = db.execute(
                    "DELETE FROM checks WHERE id IN (SELECT id FROM checks WHERE started_at < ? LIMIT ?)",
                    [cutoff, batch],
                ).rowcount
            counts["checks"] += deleted
            if deleted < batch:
                break
        while True:
            with self.state.transaction() as db:
                ids = [
                    row[0]
                    for row in db.execute(f"SELECT id FROM deliveries WHERE {_DELIVERED_SQL} LIMIT ?", [cutoff, batch])
                ]
                if ids:
                    marks = ",".join("?" * len(ids))
                    counts["attempts"] += db.execute(
                        f"DELETE FROM attempts WHERE delivery_id IN ({marks})", ids
                    ).rowcount
                    counts["deliveries"] += db.execute(f"DELETE FROM deliveries WHERE id IN ({marks})", ids).rowcount
            if len(ids) < batch:
                break
        return counts

    def _prune_counts(self, cutoff: str) -> dict[str, int]:
        with self.state.lock:
            checks = self.state.db.execute("SELECT COUNT(*) FROM checks WHERE started_at < ?", [cutoff]).fetchone()[0]
            deliveries = self.state.db.execute(
                f"SELECT COUNT(*) FROM deliveries WHERE {_DELIVERED_SQL}", [cutoff]
            ).fetchone()[0]
            attempts = self.state.db.execute(
                "SELECT COUNT(*) FROM attempts WHERE delivery_id IN "
                f"(SELECT id FROM deliveries WHERE {_DELIVERED_SQL})",
                [cutoff],
            ).fetchone()[0]
        return {"checks": checks, "deliveries": deliveries, "attempts": attempts}

    def set_next_runs(self, runs: Iterable[tuple[str, str, str, str | None]]) -> None:
        """Record when the daemon will next check each source: (name, url, kind, next_run_at or None).

        A source never checked yet gets its row here, so `watcher status` can show
        its first run; `None` clears the time (a source that was removed or disabled).
        """
        runs = list(runs)
        if not runs:
            return
        with self.state.transaction() as db:
            db.conn.executemany(
                "INSERT INTO sources (name, url, kind, next_run_at) VALUES (?,?,?,?) "
                "ON CONFLICT (name) DO UPDATE SET next_run_at = excluded.next_run_at",
                [run for run in runs if run[3] is not None],
            )
            db.conn.executemany(
                "UPDATE sources SET next_run_at = NULL WHERE name = ?", [(run[0],) for run in runs if run[3] is None]
            )
