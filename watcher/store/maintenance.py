"""Upkeep for a daemon that runs for months: retention and next-run times.

Two horizons. `prune` deletes bookkeeping: the check log and delivered outbox
rows (with their attempts), after `[settings] retention` (90 days).
`prune_history` deletes the record of what happened, after the longer
`[settings] history_retention` (two years, so quota deltas still find last
year's batches): events (with their sources, story keys, updates and
delivered rows), the changes that belonged to them, and items that left
their page that long ago. It never deletes an event with a delivery that is
not sent (pending, being sent, or dead and waiting for `outbox retry`), nor
an item that is still on its page: the next check would report it as new.
Deletes run in small batches, each its own transaction, so a year of backlog
never holds the write lock for long while checks are waiting to commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watcher.store.db import StateDB

_DELIVERED_SQL = "status = 'sent' AND COALESCE(sent_at, created_at) < ?"
# events last seen before the horizon (first seen, and every later sighting), with nothing left to deliver
_OLD_EVENTS_SQL = (
    "SELECT id FROM events e WHERE e.first_seen < ? "
    "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status != 'sent') "
    "AND NOT EXISTS (SELECT 1 FROM event_sources s WHERE s.event_id = e.id AND s.seen_at >= ?)"
)
_OLD_CHANGES_SQL = (
    "SELECT id FROM changes c WHERE c.detected_at < ? "
    "AND (c.event_id IS NULL OR NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.event_id))"
)
_GONE_ITEMS_SQL = "SELECT rowid FROM items WHERE gone_at IS NOT NULL AND gone_at < ?"
_EVENT_PARTS = ("event_sources", "event_keys", "event_updates")


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

    def prune_history(self, cutoff: str, *, dry_run: bool = False, batch: int = 2000) -> dict[str, int]:
        """Delete events, changes and gone items older than `cutoff` (see the module docstring for what stays).

        Returns how many events, changes and items went (or would go)."""
        if dry_run:
            with self.state.lock:
                db = self.state.db
                events = db.execute(f"SELECT COUNT(*) FROM ({_OLD_EVENTS_SQL})", [cutoff, cutoff]).fetchone()[0]
                changes = db.execute(
                    "SELECT COUNT(*) FROM changes c WHERE c.detected_at < ? AND (c.event_id IS NULL "
                    f"OR c.event_id IN ({_OLD_EVENTS_SQL}) "
                    "OR NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.event_id))",
                    [cutoff, cutoff, cutoff],
                ).fetchone()[0]
                items = db.execute(f"SELECT COUNT(*) FROM ({_GONE_ITEMS_SQL})", [cutoff]).fetchone()[0]
            return {"events": events, "changes": changes, "items": items}
        counts = {"events": 0, "changes": 0, "items": 0}
        while True:
            with self.state.transaction() as db:
                ids = [row[0] for row in db.execute(f"{_OLD_EVENTS_SQL} LIMIT ?", [cutoff, cutoff, batch])]
                if ids:
                    marks = ",".join("?" * len(ids))
                    db.execute(
                        "DELETE FROM attempts WHERE delivery_id IN "
                        f"(SELECT id FROM deliveries WHERE event_id IN ({marks}))",
                        ids,
                    )
                    db.execute(f"DELETE FROM deliveries WHERE event_id IN ({marks})", ids)
                    for table in _EVENT_PARTS:
                        db.execute(f"DELETE FROM {table} WHERE event_id IN ({marks})", ids)
                    counts["events"] += db.execute(f"DELETE FROM events WHERE id IN ({marks})", ids).rowcount
            if len(ids) < batch:
                break
        for key, select in (("changes", _OLD_CHANGES_SQL), ("items", _GONE_ITEMS_SQL)):
            column = "rowid" if key == "items" else "id"
            while True:
                with self.state.transaction() as db:
                    deleted = db.execute(
                        f"DELETE FROM {key} WHERE {column} IN ({select} LIMIT ?)", [cutoff, batch]
                    ).rowcount
                counts[key] += deleted
                if deleted < batch:
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
