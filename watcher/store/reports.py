"""Read-only views for people: history of changes and the state of each source."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.store.db import StateDB


class Reports:
    """Read-only views for people."""

    def __init__(self, state: StateDB) -> None:
        self.state = state

    def history(
        self,
        *,
        source: str | None = None,
        since: str | None = None,
        label: str | None = None,
        limit: int = 50,
        include_removed: bool = True,
    ) -> list[dict[str, Any]]:
        """Recorded changes, newest first, with the event each one belongs to (if any)."""
        where, params = [], []
        if source:
            where.append("c.source = ?")
            params.append(source)
        if since:
            where.append("c.detected_at >= ?")
            params.append(since)
        if label:
            where.append("e.label = ?")
            params.append(label)
        if not include_removed:
            where.append("c.change != 'removed'")
        sql = (
            "SELECT c.id, c.source, c.change, c.item_id, c.title, c.url, c.published, c.detected_at, c.diff, "
            "c.event_id, e.label, e.severity, e.headline, e.matched, e.facts FROM changes c "
            "LEFT JOIN events e ON e.id = c.event_id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY c.detected_at DESC, c.id DESC LIMIT ?"
        )
        with self.state.lock:
            rows = list(self.state.db.query(sql, [*params, limit]))
        for row in rows:
            for column in ("matched", "facts"):
                if isinstance(row.get(column), str):
                    row[column] = json.loads(row[column])
        return rows

    def source_rows(self) -> dict[str, dict[str, Any]]:
        """The stored state of every source that was ever checked, by name."""
        with self.state.lock:
            return {row["name"]: row for row in self.state.db.query("SELECT * FROM sources")}
