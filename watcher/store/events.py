"""Events (a classified story, possibly reported by several sources) and their outbox rows.

An event and its deliveries are inserted in the transaction of the check that
found it, so a crash can neither lose an alert nor record one twice.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from watcher.core.labels import IRRELEVANT
from watcher.core.models import NewEvent
from watcher.core.timestamps import shift
from watcher.store.stories import Decision, Sighting, Story, decide, matches, takes_over

if TYPE_CHECKING:
    from watcher.store.db import StateDB

CLUSTER_WINDOW = timedelta(days=3)
CANDIDATES = 50  # recent events of the sighting's label compared with it, newest first


def decision_facts(known: dict[str, Any] | Any, added: dict[str, Any] | Any) -> dict[str, Any]:
    """The event's facts with the key facts a later report added (the event's own values are kept)."""
    return {**dict(added), **dict(known)}


class EventRecords:
    """Events, their story keys and sources, and the outbox rows written with them."""

    def __init__(self, state: StateDB) -> None:
        self.state = state

    def write(self, events: list[NewEvent], change_ids: list[int], now: str) -> list[dict[str, Any]]:
        """Store each event, or join it to the earlier event of its story (see `store.stories.decide`).

        Returns each as written: its event id, whether it joined an earlier event (`merged`) and upgraded it,
        and the routes actually queued (a quiet merge queues none)."""
        written = []
        for event in events:
            change_id = change_ids[event.change_index] if event.change_index is not None else None
            story, decision = self._find_story(event, now) if event.kind == "change" else (None, None)
            if story is None or decision is None:
                event_id, merged, upgraded, routes = self._insert_event(event, now), False, False, event.routes
            elif decision.upgrade:
                event_id, merged, upgraded = story.id, True, True
                routes = self._upgrade(story, event, decision, now)
            else:
                event_id, merged, upgraded, routes = story.id, True, False, []
                if decision.retitle:
                    self._retitle(story.id, event)
            if change_id is not None:
                self.state.db.execute("UPDATE changes SET event_id = ? WHERE id = ?", [event_id, change_id])
            if event.kind == "change":
                self.state.db.execute(
                    "INSERT OR IGNORE INTO event_sources (event_id, source, title, url, seen_at, item_id, text_hash, "
                    "page, story) VALUES (?,?,?,?,?,?,?,?,?)",
                    [
                        event_id,
                        event.source,
                        event.title,
                        event.url,
                        now,
                        event.item_id or None,
                        event.text_hash or None,
                        1 if event.page else 0,
                        json.dumps(event.story, ensure_ascii=False) if event.story else None,
                    ],
                )
                self.state.db.conn.executemany(
                    "INSERT OR IGNORE INTO event_keys (key, event_id, seen_at) VALUES (?,?,?)",
                    [(key, event_id, now) for key in event.keys],
                )
            written.append(
                {
                    "id": event_id,
                    "merged": merged,
                    "upgraded": upgraded,
                    "label": event.label,
                    "severity": event.severity,
                    "matched": list(event.matched),  # the change's own classification, shown by `watcher check --json`
                    "facts": event.facts,
                    "title": event.title,
                    "headline": event.headline or event.title,
                    "url": event.url,
                    "source": event.source,
                    "official": event.official,
                    "change_index": event.change_index,
                    "routes": routes,
                }
            )
        return written

    def _insert_event(self, event: NewEvent, now: str) -> int:
        cursor = self.state.db.execute(
            "INSERT INTO events (kind, source, label, severity, title, summary, url, published, first_seen, matched, "
            "facts, routed, official, headline) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                1 if event.official else 0,
                (event.headline or event.title) if event.kind == "change" else None,
            ],
        )
        event_id = int(cursor.lastrowid or 0)
        self.state.db.conn.executemany(
            "INSERT OR IGNORE INTO deliveries (event_id, tag, mode, status, next_attempt_at, created_at) "
            "VALUES (?,?,?,'pending',?,?)",
            [(event_id, tag, mode, due or now, now) for tag, mode, due in event.routes],
        )
        return event_id

    def _find_story(self, event: NewEvent, now: str) -> tuple[Story | None, Decision | None]:
        """The event of this sighting's story within the window: the earliest that shares a story key and that
        it may join, else the one of the same label whose reports agree best with it (`stories.agreement`)."""
        since = shift(now, -CLUSTER_WINDOW.total_seconds())
        keyed: list[int] = []
        if event.keys:
            marks = ",".join("?" * len(event.keys))
            keyed = [
                int(row[0])
                for row in self.state.db.execute(
                    f"SELECT event_id FROM event_keys WHERE key IN ({marks}) AND seen_at >= ? "
                    "GROUP BY event_id ORDER BY MIN(seen_at), event_id LIMIT 20",
                    [*event.keys, since],
                ).fetchall()
            ]
        for story in self._stories(keyed):
            decision = decide(story, event)
            if decision.joins:
                return story, decision
        if not event.story or event.label == IRRELEVANT or event.page:
            return None, None
        recent = [
            int(row[0])
            for row in self.state.db.execute(
                "SELECT id FROM events WHERE label = ? AND kind = 'change' AND first_seen >= ? "
                "ORDER BY first_seen DESC, id DESC LIMIT ?",
                [event.label, since, CANDIDATES],
            ).fetchall()
            if int(row[0]) not in keyed
        ]
        ranked = sorted(((matches(story, event).score, story) for story in self._stories(recent)), key=lambda x: -x[0])
        for _, story in ranked:
            decision = decide(story, event, by_key=False)
            if decision.joins:
                return story, decision
        return None, None

    def _stories(self, event_ids: list[int]) -> list[Story]:
        """The stories of these events (in this order), each with its sightings, in two queries."""
        if not event_ids:
            return []
        marks = ",".join("?" * len(event_ids))
        rows = {
            int(row[0]): row
            for row in self.state.db.execute(
                f"SELECT id, label, severity, official, facts, title, headline FROM events "
                f"WHERE id IN ({marks}) AND kind = 'change'",
                event_ids,
            ).fetchall()
        }
        sightings: dict[int, list[Sighting]] = {event_id: [] for event_id in rows}
        for event_id, source, item, text, page, story in self.state.db.execute(
            f"SELECT event_id, source, item_id, text_hash, page, story FROM event_sources WHERE event_id IN ({marks})",
            event_ids,
        ).fetchall():
            if event_id in sightings:
                sightings[event_id].append(
                    Sighting(source, item, text, bool(page), json.loads(story) if story else None)
                )
        stories = []
        for event_id in event_ids:
            row = rows.get(event_id)
            if row is None:
                continue
            _, label, severity, official, facts, title, headline = row
            stories.append(
                Story(
                    id=event_id,
                    label=label,
                    severity=severity,
                    official=bool(official),
                    sightings=tuple(sightings[event_id]),
                    facts=json.loads(facts or "{}"),
                    english=headline is None or headline == title,
                )
            )
        return stories

    def _retitle(self, event_id: int, event: NewEvent) -> None:
        """Tell a story first seen in another language with this English report (quietly: no new message)."""
        self.state.db.execute(
            "UPDATE events SET title = ?, headline = ?, url = ?, source = ?, summary = ? WHERE id = ?",
            [event.title, event.headline or event.title, event.url, event.source, event.summary, event_id],
        )

    def _upgrade(
        self, story: Story, event: NewEvent, decision: Decision, now: str
    ) -> list[tuple[str, str, str | None]]:
        """Tell the event's readers what the upgrading sighting adds, once: returns the routes queued.

        A tag that never had the event gets it in full; a tag whose delivery still waits untouched gets the
        upgraded event in that delivery (a digest row is made immediate if the upgrade is); a tag that already
        has it gets one short update.
        """
        db = self.state.db
        reasons = decision.reasons
        if takes_over(story, event):
            db.execute(
                "UPDATE events SET label = ?, severity = ?, source = ?, title = ?, summary = ?, url = ?, "
                "published = COALESCE(?, published), matched = ?, facts = ?, official = MAX(official, ?), "
                "headline = ? WHERE id = ?",
                [
                    event.label,
                    event.severity,
                    event.source,
                    event.title,
                    event.summary,
                    event.url,
                    event.published,
                    json.dumps(event.matched, ensure_ascii=False),
                    json.dumps({**story.facts, **event.facts}, ensure_ascii=False),
                    1 if event.official else 0,
                    event.headline or event.title,
                    story.id,
                ],
            )
        else:
            if decision.added:
                db.execute(
                    "UPDATE events SET facts = ? WHERE id = ?",
                    [json.dumps(decision_facts(story.facts, decision.added), ensure_ascii=False), story.id],
                )
            if decision.retitle:
                self._retitle(story.id, event)
            if event.official:
                db.execute("UPDATE events SET official = 1 WHERE id = ?", [story.id])
        update_id = db.execute(
            "INSERT INTO event_updates (event_id, source, title, url, label, severity, official, was_label, "
            "was_severity, reasons, seen_at, added, headline) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                story.id,
                event.source,
                event.title,
                event.url,
                event.label,
                event.severity,
                1 if event.official else 0,
                story.label,
                story.severity,
                json.dumps(list(reasons)),
                now,
                json.dumps(dict(decision.added), ensure_ascii=False),
                event.headline or event.title,
            ],
        ).lastrowid
        queued: list[tuple[str, str, str | None]] = []
        for tag, mode, due in event.routes:
            rows = db.execute(
                "SELECT id, mode, status, done_targets FROM deliveries WHERE event_id = ? AND tag = ?", [story.id, tag]
            ).fetchall()
            waiting = [
                (row_id, row_mode) for row_id, row_mode, status, done in rows if status == "pending" and done == "[]"
            ]
            if not rows:
                update = 0  # this tag never had the event: it gets the whole alert
            elif waiting:
                promote = [row_id for row_id, row_mode in waiting if row_mode == "digest" and mode == "immediate"]
                db.conn.executemany(
                    "UPDATE deliveries SET mode = 'immediate', next_attempt_at = ? WHERE id = ?",
                    [(now, row_id) for row_id in promote],
                )
                if promote:
                    queued.append((tag, "immediate", None))
                continue  # the waiting delivery renders the upgraded event when it is sent
            else:
                update = int(update_id or 0)
            db.execute(
                "INSERT OR IGNORE INTO deliveries (event_id, tag, mode, status, next_attempt_at, created_at, "
                "update_id) VALUES (?,?,?,'pending',?,?,?)",
                [story.id, tag, mode, due or now, now, update],
            )
            queued.append((tag, mode, due))
        if queued:
            db.execute("UPDATE events SET routed = 1 WHERE id = ?", [story.id])
        return queued

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

    def by_keys(self, keys: list[str], exclude: int | None = None) -> list[dict[str, Any]]:
        """The earliest change event under each story key (e.g. `doc:` keys of the documents a notice suspends),
        with its headline, title, link and first sighting: what the state knows of an earlier document."""
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        with self.state.lock:
            rows = self.state.db.execute(
                f"SELECT k.key, e.id, COALESCE(e.headline, e.title), e.title, e.url, e.first_seen FROM event_keys k "
                f"JOIN events e ON e.id = k.event_id WHERE k.key IN ({marks}) AND e.kind = 'change' AND e.id != ? "
                "ORDER BY e.first_seen, e.id",
                [*keys, exclude if exclude is not None else -1],
            ).fetchall()
        found: dict[str, dict[str, Any]] = {}
        for key, event_id, headline, title, url, first_seen in rows:
            found.setdefault(
                key,
                {
                    "key": key,
                    "id": event_id,
                    "headline": headline,
                    "title": title,
                    "url": url,
                    "first_seen": first_seen,
                },
            )
        return list(found.values())

    def update(self, update_id: int) -> dict[str, Any] | None:
        """What an upgrading sighting brought to its event (for the short update message)."""
        with self.state.lock:
            rows = list(self.state.db.query("SELECT * FROM event_updates WHERE id = ?", [update_id]))
        if not rows:
            return None
        update = dict(rows[0])
        update["reasons"] = json.loads(update.get("reasons") or "[]")
        update["added"] = json.loads(update.get("added") or "{}")
        update["official"] = bool(update.get("official"))
        return update

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
