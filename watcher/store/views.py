"""Read-only views of events for people: filtered and searched lists, one story in full, the quota figures.

Lists are newest first by event id (the order watcher recorded them) and paged by a cursor (`before` an
id) rather than an offset, so the thousandth page costs what the first does. Every filter has an index
that yields rows in that order, and a search walks the full-text index backwards by rowid: a page stops
reading as soon as it is full.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from watcher.store.search import match_expression

if TYPE_CHECKING:
    from watcher.store.db import StateDB

LIST_COLUMNS = (
    "e.id, e.kind, e.source, e.label, e.severity, e.title, e.summary, e.url, e.published, e.first_seen, e.facts, "
    "e.matched"
)


@dataclass(frozen=True)
class EventQuery:
    """Which events a reader asked for; empty tuples mean any. `since` is a stored UTC stamp."""

    labels: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    since: str | None = None
    text: str = ""
    before: int | None = None
    limit: int = 50

    def filtered(self) -> bool:
        return bool(self.labels or self.severities or self.sources or self.kinds or self.since or self.text.strip())


@dataclass
class EventPage:
    rows: list[dict[str, Any]]
    next_before: int | None  # the cursor of the next (older) page, None on the last one


class EventViews:
    """Events as people read them: lists with filters and search, one event with its whole story."""

    def __init__(self, state: StateDB) -> None:
        self.state = state

    def events(self, query: EventQuery) -> EventPage:
        """One page of the events matching `query`, newest first (raises QueryTooBroad for a too common term)."""
        where: list[str] = []
        params: list[Any] = []
        with self.state.lock:
            match = match_expression(self.state.db, query.text) if query.text.strip() else None
            if query.text.strip() and match is None:
                return EventPage([], None)
            self._filters(query, where, params)
            if match is not None:
                sql = (
                    f"SELECT {LIST_COLUMNS} FROM event_search s JOIN events e ON e.id = s.rowid "
                    "WHERE event_search MATCH ?" + "".join(f" AND {part}" for part in where)
                )
                sql += (" AND s.rowid < ?" if query.before is not None else "") + " ORDER BY s.rowid DESC LIMIT ?"
                params = [match, *params]
            else:
                sql = f"SELECT {LIST_COLUMNS} FROM events e" + (" WHERE " + " AND ".join(where) if where else "")
                if query.before is not None:
                    sql += (" AND " if where else " WHERE ") + "e.id < ?"
                sql += " ORDER BY e.id DESC LIMIT ?"
            if query.before is not None:
                params.append(query.before)
            rows = [_decode(row) for row in self.state.db.query(sql, [*params, query.limit + 1])]
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        return EventPage(rows, rows[-1]["id"] if more and rows else None)

    @staticmethod
    def _filters(query: EventQuery, where: list[str], params: list[Any]) -> None:
        for column, values in (("e.label", query.labels), ("e.severity", query.severities), ("e.kind", query.kinds)):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        if query.sources:
            marks = ",".join("?" * len(query.sources))
            # the event's first source, or any outlet that reported the same story
            where.append(
                f"(e.source IN ({marks}) OR e.id IN (SELECT event_id FROM event_sources WHERE source IN ({marks})))"
            )
            params.extend([*query.sources, *query.sources])
        if query.since:
            where.append("e.first_seen >= ?")
            params.append(query.since)

    def story(self, event_id: int) -> dict[str, Any] | None:
        """One event with everything behind it: outlets, changes (with their diffs), deliveries and attempts."""
        with self.state.lock:
            rows = list(self.state.db.query("SELECT * FROM events WHERE id = ?", [event_id]))
            if not rows:
                return None
            event = _decode(rows[0])
            event["outlets"] = list(
                self.state.db.query(
                    "SELECT source, title, url, seen_at FROM event_sources WHERE event_id = ? ORDER BY seen_at, source",
                    [event_id],
                )
            )
            event["changes"] = list(
                self.state.db.query(
                    "SELECT id, source, item_id, change, title, url, published, text, diff, detected_at FROM changes "
                    "WHERE event_id = ? ORDER BY detected_at, id",
                    [event_id],
                )
            )
            deliveries = list(
                self.state.db.query(
                    "SELECT id, tag, mode, status, attempts, next_attempt_at, last_error, created_at, sent_at "
                    "FROM deliveries WHERE event_id = ? ORDER BY id",
                    [event_id],
                )
            )
            for delivery in deliveries:
                delivery["tries"] = list(
                    self.state.db.query(
                        "SELECT at, ok, error FROM attempts WHERE delivery_id = ? ORDER BY id", [delivery["id"]]
                    )
                )
            event["deliveries"] = deliveries
        return event

    def choices(self) -> dict[str, list[str]]:
        """The labels, severities, kinds and sources present in the state, for the filter menus."""
        with self.state.lock:
            return {
                "labels": self._distinct("label"),
                "severities": self._distinct("severity"),
                "kinds": self._distinct("kind"),
                "sources": sorted(
                    {row[0] for row in self.state.db.execute("SELECT name FROM sources").fetchall()}
                    | set(self._distinct("source", "event_sources"))
                ),
            }

    def _distinct(self, column: str, table: str = "events") -> list[str]:
        """Distinct values of an indexed column by skipping through its index: one lookup per value."""
        rows = self.state.db.execute(
            f"WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM {table} UNION ALL "
            f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL) "
            "SELECT x FROM v WHERE x IS NOT NULL"
        ).fetchall()
        return [row[0] for row in rows]

    def quota_figures(self) -> list[dict[str, Any]]:
        """Stored quota events that carry a year, a batch and a mining or smelting figure (national ones)."""
        with self.state.lock:
            rows = list(
                self.state.db.query(
                    "SELECT id, title, url, published, first_seen, facts FROM events INDEXED BY events_quota_year "
                    "WHERE label = 'quota' AND json_extract(facts, '$.year') IS NOT NULL "
                    "AND json_extract(facts, '$.batch') IS NOT NULL ORDER BY id"
                )
            )
        figures = []
        for row in rows:
            facts = json.loads(row["facts"] or "{}")
            if facts.get("region") or not (facts.get("mining_tonnes") or facts.get("smelting_tonnes")):
                continue
            figures.append({**row, "facts": facts})
        return figures


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    for column in ("matched", "facts"):
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row
