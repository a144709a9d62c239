"""The outbox: one delivery row per event and Apprise tag, drained by the notifier."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watcher.store import Store


class OutboxRecords:
    def outbox_counts(self: Store) -> dict[str, int]:
        """Deliveries by status (pending, sent, dead, digested)."""
        with self.lock:
            rows = self.db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall()
        return {status: count for status, count in rows}
