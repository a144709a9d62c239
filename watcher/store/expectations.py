"""Expectations' state and the rows their evaluation reads: candidate events and items.

An overdue alert (or its reminder, or the "arrived" close) is an event written with its outbox
rows and the expectation's new state in one transaction, and only if the state is still the one
the evaluation read: two evaluations racing (the daemon and `watcher check`) never both alert.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from watcher.core.models import NewEvent

if TYPE_CHECKING:
    from watcher.store.db import StateDB
    from watcher.store.events import EventRecords

_STATE_COLUMNS = (
    "period",
    "due",
    "overdue_since",
    "alerted_at",
    "alerts",
    "event_id",
    "severity",
    "closed_at",
    "closed_event_id",
)


class ExpectationRecords:
    """The `expectations` table, and what meeting an expectation can be read from."""

    def __init__(self, state: StateDB, events: EventRecords) -> None:
        self.state = state
        self.events = events

    def states(self) -> dict[str, dict[str, Any]]:
        """The stored state of every expectation ever evaluated, by name."""
        with self.state.lock:
            return {row["name"]: row for row in self.state.db.query("SELECT * FROM expectations")}

    def watch(self, name: str, since: str) -> dict[str, Any]:
        """The state of `name`, created (watched from `since`) on its first evaluation."""
        with self.state.transaction() as db:
            db.execute("INSERT OR IGNORE INTO expectations (name, watching_since) VALUES (?, ?)", [name, since])
            return next(iter(db.query("SELECT * FROM expectations WHERE name = ?", [name])))

    def candidate_events(self, label: str, since: str) -> list[dict[str, Any]]:
        """Change events with `label` first seen from `since` on, with every source that reported each."""
        with self.state.lock:
            rows = list(
                self.state.db.query(
                    "SELECT id, source, title, summary, url, published, first_seen, matched, facts FROM events "
                    "WHERE label = ? AND kind = 'change' AND first_seen >= ? ORDER BY first_seen",
                    [label, since],
                )
            )
            ids = [row["id"] for row in rows]
            sources: dict[int, list[str]] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for event_id, source in self.state.db.execute(
                    f"SELECT event_id, source FROM event_sources WHERE event_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                ):
                    sources.setdefault(event_id, []).append(source)
        for row in rows:
            row["matched"] = json.loads(row["matched"] or "[]")
            row["facts"] = json.loads(row["facts"] or "{}")
            row["sources"] = sorted({row["source"], *sources.get(row["id"], [])})
        return rows

    def candidate_items(self, sources: list[str], since: str) -> list[dict[str, Any]]:
        """Items a baseline of these sources recorded silently, published (or, undated, first seen) from `since` on.

        A notice already on the page when watching began is such an item; items that came later
        were changes, and their events are read by `candidate_events`.
        """
        if not sources:
            return []
        day = since[:10]
        out: list[dict[str, Any]] = []
        with self.state.lock:
            for start in range(0, len(sources), 200):
                chunk = sources[start : start + 200]
                out += self.state.db.query(
                    "SELECT i.source, i.item_id, i.title, i.url, i.published, i.text, i.first_seen FROM items i "
                    "JOIN sources s ON s.name = i.source AND i.first_seen <= s.baselined_at "
                    f"WHERE i.source IN ({','.join('?' * len(chunk))}) "
                    "AND (i.published >= ? OR (i.published IS NULL AND i.first_seen >= ?))",
                    [*chunk, day, since],
                )
        return out

    def baselined_sources(self) -> list[str]:
        """Every source that has recorded a baseline."""
        with self.state.lock:
            return [row[0] for row in self.state.db.execute("SELECT name FROM sources WHERE baselined_at IS NOT NULL")]

    def transition(
        self, name: str, read_alerted_at: str | None, update: dict[str, Any], event: NewEvent | None
    ) -> dict[str, Any] | None:
        """Apply `update` to the state of `name` and record `event` (with its outbox rows), atomically.

        Nothing happens when another evaluation changed the state since it was read (its
        `alerted_at` differs): returns None then; else the written event (or {} without one).
        """
        unknown = set(update) - set(_STATE_COLUMNS)
        if unknown:
            raise ValueError(f"not expectation state columns: {sorted(unknown)}")
        now = self.state.now()
        assignments = ", ".join(f"{column} = ?" for column in update)
        with self.state.transaction() as db:
            cursor = db.execute(
                f"UPDATE expectations SET {assignments} WHERE name = ? AND alerted_at IS ?",
                [*update.values(), name, read_alerted_at],
            )
            if cursor.rowcount != 1:
                return None
            if event is None:
                return {}
            written = self.events.write([event], [], now)[0]
            if "alerted_at" in update and update["alerted_at"] is not None:
                db.execute("UPDATE expectations SET event_id = ? WHERE name = ?", [written["id"], name])
            if "closed_at" in update and update["closed_at"] is not None:
                db.execute("UPDATE expectations SET closed_event_id = ? WHERE name = ?", [written["id"], name])
            return written
