"""Events (a classified story, possibly reported by several sources) and their outbox rows.

An event and its deliveries are inserted in the transaction of the check that
found it, so a crash can neither lose an alert nor record one twice.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from watcher.core.models import NewEvent
from watcher.core.timestamps import shift

if TYPE_CHECKING:
    from watcher.store.db import StateDB

CLUSTER_WINDOW = timedelta(days=3)


class EventRecords:
    """Events, their story keys and sources, and the outbox rows written with them."""

    def __init__(self, state: StateDB) -> None:
        self.state = state

    def write(self, events: list[NewEvent], change_ids: list[int], now: str) -> list[dict[str, Any]]:
        written = []
        for event in events:
            change_id = change_ids[event.change_index] if event.change_index is not None else None
            earlier = self._cluster_match(event.keys, now) if event.kind == "change" else None
            if earlier is not None:
                event_id, merged = earlier, True
            else:
                event_id, merged = self._insert_event(event, now), False
            if change_id is not None:
                self.state.db.execute("UPDATE changes SET event_id = ? WHERE id = ?", [event_id, change_id])
            if event.kind == "change":
                self.state.db.execute(
                    "INSERT OR IGNORE INTO event_sources (event_id, source, title, url, seen_at) VALUES (?,?,?,?,?)",
                    [event_id, event.source, event.title, event.url, now],
                )
                self.state.db.conn.executemany(
                    "INSERT OR IGNORE INTO event_keys (key, event_id, seen_at) VALUES (?,?,?)",
                    [(key, event_id, now) for key in event.keys],
                )
            written.append(
                {
                    "id": event_id,
                    "merged": merged,
                    "label": event.label,
                    "severity": event.severity,
                    "matched": event.matched,  # the change's own classification, shown by `watcher check --json`
                    "facts": event.facts,
                    "title": event.title,
                    "url": event.url,
                    "source": event.source,
                    "change_index": event.change_index,
                    "routes": [] if merged else event.routes,
                }
            )
        return written

    def _insert_event(self, event: NewEvent, now: str) -> int:
        cursor = self.state.db.execute(
            "INSERT INTO events (kind, source, label, severity, title, summary, url, published, first_seen, matched, "
            "facts, routed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                event.kind,
                event.source,
                event.label,
                event.severity,
                event.title,
                event.summary,
                event.url,
                event.published,
                now,
                json.dumps(event.matched, ensure_ascii=False),
                json.dumps(event.facts, ensure_ascii=False),
                1 if event.routes else 0,
            ],
        )
        event_id = int(cursor.lastrowid or 0)
        self.state.db.conn.executemany(
            "INSERT OR IGNORE INTO deliveries (event_id, tag, mode, status, next_attempt_at, created_at) "
            "VALUES (?,?,?,'pending',?,?)",
            [(event_id, tag, mode, due or now, now) for tag, mode, due in event.routes],
        )
        return event_id

    def _cluster_match(self, keys: list[str], now: str) -> int | None:
        if not keys:
            return None
        since = shift(now, -CLUSTER_WINDOW.total_seconds())
        row = self.state.db.execute(
            f"SELECT event_id FROM event_keys WHERE key IN ({','.join('?' * len(keys))}) AND seen_at >= ? "
            "ORDER BY seen_at LIMIT 1",
            [*keys, since],
        ).fetchone()
        return int(row[0]) if row else None

    def record_health(self, event: NewEvent) -> dict[str, Any]:
        """Record a health alert (source broken/recovered, channel failing) outside of a check."""
        now = self.state.now()
        with self.state.transaction():
            return self.write([event], [], now)[0]

    def event(self, event_id: int) -> dict[str, Any] | None:
        """One event with its facts, matched terms and every source that reported it."""
        with self.state.lock:
            rows = list(self.state.db.query("SELECT * FROM events WHERE id = ?", [event_id]))
            if not rows:
                return None
            event = _decode(rows[0])
            event["sources"] = list(
                self.state.db.query(
                    "SELECT source, title, url, seen_at FROM event_sources WHERE event_id = ? ORDER BY seen_at",
                    [event_id],
                )
            )
        return event

    def quota_history(self, years: tuple[int, ...] | None = None) -> list[dict[str, Any]]:
        """Facts of earlier quota events that carried a year (only `years` when given), for quota deltas.

        A delta compares with the same batch a year earlier or the previous batch of the same year, so
        callers pass (year - 1, year) and read a handful of rows, not every quota event ever stored.
        """
        table, where = "events", "label = 'quota' AND json_extract(facts, '$.year') IS NOT NULL"
        params: list[Any] = []
        if years:  # the planner, without statistics, would take the label index and decode every quota event
            table = "events INDEXED BY events_quota_year"
            where = f"label = 'quota' AND json_extract(facts, '$.year') IN ({','.join('?' * len(years))})"
            params = list(years)
        with self.state.lock:
            rows = self.state.db.execute(
                f"SELECT facts, published, first_seen FROM {table} WHERE {where} ORDER BY first_seen", params
            ).fetchall()
        history = []
        for facts, published, first_seen in rows:
            record = json.loads(facts)
            record.setdefault("published", published or first_seen)
            history.append(record)
        return history


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    for column in ("matched", "facts"):
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row
