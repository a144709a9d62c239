"""The outbox: one delivery row per event and Apprise tag, drained by the notifier.

A sender claims due rows before sending (two senders never send one row), and
records each attempt; a row is `sent` only after its channel accepted it, and
`dead` after its last attempt. Claims left by a killed process expire.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from typing import TYPE_CHECKING, Any

from watcher.core.timestamps import shift

if TYPE_CHECKING:
    from watcher.store.db import StateDB

_claimer: tuple[int, str] = (0, "")  # (pid, claimer) of this process, drawn on its first claim
_claimer_lock = threading.Lock()  # two first claims at once must not draw two tokens for one life


def claimer() -> str:
    """Who claims: the pid, plus a token for this process's life, drawn when the process first asks.

    In a container the daemon is pid 1 after every restart; the token tells this life's claims from
    those of the life before the crash. A forked child has another pid, so it draws its own token
    instead of claiming in its parent's name (a token drawn at import would be inherited).
    """
    global _claimer
    pid = os.getpid()
    if _claimer[0] != pid:
        with _claimer_lock:
            if _claimer[0] != pid:
                _claimer = (pid, f"{pid}:{secrets.token_hex(6)}")
    return _claimer[1]


def _alive(made_by: object) -> bool:
    """Whether the process that made a claim still runs (claims are only ever made on the state's host)."""
    pid_text = str(made_by or "").partition(":")[0]
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return str(made_by) == claimer()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutboxRecords:
    """The delivery rows: claims, attempts, requeues and what they report."""

    def __init__(self, state: StateDB) -> None:
        self.state = state

    def outbox_counts(self) -> dict[str, int]:
        """Deliveries by status (pending, sending, sent, dead)."""
        with self.state.lock:
            rows = self.state.db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall()
        return {status: count for status, count in rows}

    def release_stale_claims(self, older_than: float) -> int:
        """Put back rows whose sender died: its process is gone, or it held them over `older_than` seconds."""
        cutoff = shift(self.state.now(), -older_than)
        with self.state.transaction() as db:
            claims = db.execute("SELECT id, claimed_by, claimed_at FROM deliveries WHERE status = 'sending'").fetchall()
            stale = [row_id for row_id, made_by, at in claims if at is None or at <= cutoff or not _alive(made_by)]
            db.conn.executemany(
                "UPDATE deliveries SET status = 'pending', claimed_at = NULL, claimed_by = NULL "
                "WHERE id = ? AND status = 'sending'",
                [(row_id,) for row_id in stale],
            )
        return len(stale)

    def claim_due(
        self, limit: int = 200, digests_now: bool = False, exclude: set[int] | None = None
    ) -> list[dict[str, Any]]:
        """Claim due pending deliveries (digest rows only when their time came, or with `digests_now`),
        leaving out `exclude` (rows this drain already tried once)."""
        now = self.state.now()
        skip = sorted(exclude or ())
        with self.state.transaction() as db:
            rows = list(
                db.query(
                    "SELECT id, event_id, tag, mode, attempts, done_targets, update_id FROM deliveries "
                    "WHERE status = 'pending' "
                    "AND (next_attempt_at <= ? OR (? AND mode = 'digest')) "
                    f"AND id NOT IN ({','.join('?' * len(skip))}) ORDER BY next_attempt_at, id LIMIT ?",
                    [now, 1 if digests_now else 0, *skip, limit],
                )
            )
            db.conn.executemany(
                "UPDATE deliveries SET status = 'sending', claimed_at = ?, claimed_by = ? WHERE id = ?",
                [(now, claimer(), row["id"]) for row in rows],
            )
        for row in rows:
            row["done_targets"] = json.loads(row["done_targets"] or "[]")
        return rows

    def finish_delivery(
        self, delivery_id: int, *, ok: bool, done_targets: list[str], error: str | None, retry_in: float | None
    ) -> str:
        """Record one attempt; the row becomes sent, pending again (after `retry_in` s), or dead (None)."""
        now = self.state.now()
        status = "sent" if ok else ("pending" if retry_in is not None else "dead")
        next_at = shift(now, retry_in) if retry_in is not None else now
        with self.state.transaction() as db:
            db.execute(
                "INSERT INTO attempts (delivery_id, at, ok, error) VALUES (?,?,?,?)",
                [delivery_id, now, 1 if ok else 0, error],
            )
            db.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, claimed_at = NULL, "
                "claimed_by = NULL, "
                "done_targets = ?, next_attempt_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "
                "WHERE id = ?",
                [
                    status,
                    None if ok else error,
                    json.dumps(sorted(set(done_targets))),
                    next_at,
                    status,
                    now,
                    delivery_id,
                ],
            )
        return status

    def targets_done_for_event(self, event_id: int, except_delivery: int, update_id: int = 0) -> set[str]:
        """Targets that already have this message (the event, or one update of it) through another immediate
        delivery: the same URL under two tags gets it once."""
        with self.state.lock:
            rows = self.state.db.execute(
                "SELECT done_targets FROM deliveries WHERE event_id = ? AND id != ? AND mode = 'immediate' "
                "AND update_id = ?",
                [event_id, except_delivery, update_id],
            ).fetchall()
        return {target for (done,) in rows for target in json.loads(done or "[]")}

    def outbox_rows(self, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        where, params = ("WHERE d.status = ?", [status]) if status else ("", [])
        with self.state.lock:
            return list(
                self.state.db.query(
                    "SELECT d.id, d.event_id, d.update_id, d.tag, d.mode, d.status, d.attempts, d.next_attempt_at, "
                    "d.last_error, d.created_at, d.sent_at, e.label, e.severity, e.title FROM deliveries d "
                    f"JOIN events e ON e.id = d.event_id {where} ORDER BY d.id DESC LIMIT ?",
                    [*params, limit],
                )
            )

    def requeue(self, dead_only: bool = False) -> int:
        """Make failed deliveries due now (`watcher outbox retry`); dead ones get a fresh attempt budget."""
        now = self.state.now()
        statuses = ("dead",) if dead_only else ("dead", "pending")
        with self.state.transaction() as db:
            cursor = db.execute(
                f"UPDATE deliveries SET status = 'pending', next_attempt_at = ?, claimed_at = NULL, "
                f"attempts = CASE WHEN status = 'dead' THEN 0 ELSE attempts END WHERE status IN "
                f"({','.join('?' * len(statuses))}) AND (status = 'dead' OR attempts > 0)",
                [now, *statuses],
            )
        return cursor.rowcount

    def last_delivery(self) -> dict[str, Any] | None:
        with self.state.lock:
            rows = list(
                self.state.db.query(
                    "SELECT d.tag, d.sent_at, COALESCE(e.headline, e.title) AS title FROM deliveries d "
                    "JOIN events e ON e.id = d.event_id "
                    "WHERE d.status = 'sent' ORDER BY d.sent_at DESC, d.id DESC LIMIT 1"
                )
            )
        return rows[0] if rows else None

    def unrouted_counts(self) -> dict[str, int]:
        """Events that no route sent anywhere, by label (kept, never dropped)."""
        with self.state.lock:
            rows = self.state.db.execute(
                "SELECT label, COUNT(*) FROM events INDEXED BY events_unrouted "
                "WHERE kind = 'change' AND routed = 0 GROUP BY label"
            ).fetchall()
        return {label: count for label, count in rows}

    def recent_health(self, health: str, key: str, value: str, within: float) -> bool:
        """Whether a health alert of this type about this tag/source was recorded within `within` seconds."""
        since = shift(self.state.now(), -within)
        with self.state.lock:
            row = self.state.db.execute(
                "SELECT 1 FROM events WHERE kind = 'health' AND first_seen >= ? "
                f"AND json_extract(facts, '$.health') = ? AND json_extract(facts, '$.{key}') = ? LIMIT 1",
                [since, health, value],
            ).fetchone()
        return row is not None
