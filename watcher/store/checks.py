"""Per-source state, items, the check log and changes: what one check reads and writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from watcher.core.models import Change, CheckRecord, SourceState
from watcher.diff import StoredItem

if TYPE_CHECKING:
    from watcher.store.db import StateDB
    from watcher.store.events import EventRecords


class CheckRecords:
    """Per-source state, items, the check log and changes."""

    def __init__(self, state: StateDB, events: EventRecords) -> None:
        self.state = state
        self.events = events

    def source_state(self, name: str) -> SourceState:
        with self.state.lock:
            row = self.state.db.execute(
                "SELECT name, config_hash, etag, last_modified, body_hash, baselined_at, failures, item_count, "
                "last_status, broken_since, broken_alerted_at FROM sources WHERE name = ?",
                [name],
            ).fetchone()
        if row is None:
            return SourceState(name=name)
        return SourceState(
            name=row[0],
            config_hash=row[1],
            etag=row[2],
            last_modified=row[3],
            body_hash=row[4],
            baselined=row[5] is not None,
            failures=row[6],
            item_count=row[7],
            last_status=row[8],
            broken_since=row[9],
            broken_alerted_at=row[10],
        )

    def stored_items(self, source: str, current_ids: list[str]) -> dict[str, StoredItem]:
        """Live items of a source, plus gone ones that are back on the page now."""
        with self.state.lock:
            rows = list(
                self.state.db.execute(
                    "SELECT item_id, hash, title, url, published, text, gone_at FROM items "
                    "WHERE source = ? AND gone_at IS NULL",
                    [source],
                )
            )
            live = {row[0] for row in rows}
            returning = [item_id for item_id in current_ids if item_id not in live]
            for start in range(0, len(returning), 500):
                chunk = returning[start : start + 500]
                rows += self.state.db.execute(
                    f"SELECT item_id, hash, title, url, published, text, gone_at FROM items "
                    f"WHERE source = ? AND item_id IN ({','.join('?' * len(chunk))})",
                    [source, *chunk],
                ).fetchall()
        return {
            row[0]: StoredItem(
                id=row[0],
                hash=row[1],
                title=row[2] or "",
                url=row[3] or "",
                published=row[4],
                text=row[5] or "",
                gone=row[6] is not None,
            )
            for row in rows
        }

    def record_check(self, record: CheckRecord) -> list[dict[str, Any]]:
        """Write one check atomically: log row, source state, items, changes, events and their deliveries.

        Returns the events as stored (new ones and those merged into an earlier event).
        """
        now = self.state.now()
        with self.state.transaction() as db:
            db.execute(
                "INSERT INTO checks (source, started_at, duration_ms, status, http_status, bytes, items, new, "
                "changed, removed, error, filtered) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    record.source,
                    record.started_at,
                    int(record.duration * 1000),
                    record.status,
                    record.http_status,
                    record.bytes,
                    len(record.items) if record.items is not None else 0,
                    _count(record.changes, "new"),
                    _count(record.changes, "changed"),
                    _count(record.changes, "removed"),
                    record.error,
                    record.filtered,
                ],
            )
            self._update_source(record, now)
            if record.items is not None:
                self._write_items(record, now)
            change_ids = self._write_changes(record, now)
            return self.events.write(record.events, change_ids, now)

    def _update_source(self, record: CheckRecord, now: str) -> None:
        success = record.status in ("ok", "unchanged", "baseline")
        fields: dict[str, Any] = {
            "url": record.url,
            "kind": record.kind,
            "last_check_at": record.started_at,
            "last_status": record.status,
            "last_error": record.error,
            "last_http_status": record.http_status,
            "failures": record.failures,
            "broken_since": record.broken_since,
            "broken_alerted_at": record.broken_alerted_at,
        }
        if success:
            fields["last_success_at"] = record.started_at
            fields["config_hash"] = record.config_hash
            if record.validators is not None:
                fields["etag"] = record.validators.etag
                fields["last_modified"] = record.validators.last_modified
            if record.body_hash is not None:
                fields["body_hash"] = record.body_hash
            if record.items is not None:
                fields["item_count"] = len(record.items)
            if record.baselined:
                fields["baselined_at"] = now
        if any(change.change != "removed" for change in record.changes):
            fields["last_change_at"] = now
        columns = ", ".join(fields)
        updates = ", ".join(f"{column} = excluded.{column}" for column in fields)
        self.state.db.execute(
            f"INSERT INTO sources (name, {columns}) VALUES (?, {', '.join('?' * len(fields))}) "
            f"ON CONFLICT (name) DO UPDATE SET {updates}",
            [record.source, *fields.values()],
        )

    def _write_items(self, record: CheckRecord, now: str) -> None:
        assert record.items is not None
        self.state.db.conn.executemany(
            "INSERT INTO items (source, item_id, title, url, published, text, hash, first_seen, last_seen, gone_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,NULL) ON CONFLICT (source, item_id) DO UPDATE SET title = excluded.title, "
            "url = excluded.url, published = COALESCE(excluded.published, items.published), text = excluded.text, "
            "hash = excluded.hash, last_seen = excluded.last_seen, gone_at = NULL",
            [
                (record.source, item.id, item.title, item.url, item.published, item.text, item.hash, now, now)
                for item in record.items
            ],
        )
        gone = [change.item.id for change in record.changes if change.change == "removed"]
        if record.baselined:  # a (re-)baseline replaces the item set: items of an old shape are retired quietly
            current = {item.id for item in record.items}
            live = self.state.db.execute(
                "SELECT item_id FROM items WHERE source = ? AND gone_at IS NULL", [record.source]
            ).fetchall()
            gone += [item_id for (item_id,) in live if item_id not in current]
        self.state.db.conn.executemany(
            "UPDATE items SET gone_at = ? WHERE source = ? AND item_id = ?",
            [(now, record.source, item_id) for item_id in gone],
        )

    def _write_changes(self, record: CheckRecord, now: str) -> list[int]:
        ids = []
        for change in record.changes:
            item = change.item
            cursor = self.state.db.execute(
                "INSERT INTO changes (source, item_id, change, title, url, published, text, diff, detected_at) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    change.source,
                    item.id,
                    change.change,
                    item.title,
                    item.url,
                    item.published,
                    item.text,
                    change.diff,
                    now,
                ],
            )
            assert cursor.lastrowid is not None  # an INSERT sets it
            ids.append(cursor.lastrowid)
        return ids


def _count(changes: list[Change], kind: str) -> int:
    return sum(1 for change in changes if change.change == kind)
