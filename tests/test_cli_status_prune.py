"""`watcher status` and `watcher prune` through the CLI, on real SQLite state made by real checks."""

from __future__ import annotations

import json

import pytest
from conftest import source_entry

from watcher.core.models import NewEvent
from watcher.core.timestamps import display
from watcher.daemon.statelock import StateLock
from watcher.store import Store

OLD = "2025-01-01T00:00:00Z"
LIST = '<ul><li><a href="/n/1">Gallium export licences</a> <span>2026-03-01</span></li></ul>'


@pytest.fixture
def checked(project, site):
    """A project whose source `a` was checked once (a baseline); `b` never; `c` is disabled."""
    site.add("/a", LIST)
    project.write_sources(
        source_entry("a", site.url("/a"), "html", item="li")
        + source_entry("b", site.url("/b"), "html", item="li")
        + source_entry("c", site.url("/c"), "html", item="li", enabled=False)
    )
    assert project.cli("check", "--no-notify", "--source", "a").exit_code == 0
    return project


def sent_delivery(store: Store, status: str = "sent", at: str = OLD, attempts: int = 1) -> int:
    """An outbox row in a given state, with its attempts (the notifier's own path is tested elsewhere)."""
    event = store.events.record_health(
        NewEvent(source="watcher", label="health", severity="high", kind="health", title=f"Test alert ({status} {at})")
    )
    with store.transaction() as db:
        delivery = db.execute(
            "INSERT INTO deliveries (event_id, tag, mode, status, attempts, next_attempt_at, created_at, sent_at) "
            "VALUES (?, 'ops', 'immediate', ?, ?, ?, ?, ?)",
            [event["id"], status, attempts, at, at, at if status in ("sent", "digested") else None],
        ).lastrowid
        for _ in range(attempts):
            db.execute("INSERT INTO attempts (delivery_id, at, ok) VALUES (?, ?, 1)", [delivery, at])
    return int(delivery)


def counts(store: Store) -> dict[str, int]:
    tables = ("checks", "deliveries", "attempts", "events", "items", "changes")
    with store.lock:
        return {table: store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}


# -- status ---------------------------------------------------------------------------------------------------


def test_status_without_state_says_so(project):
    project.write_sources(source_entry("a", "http://127.0.0.1:9/a", "html", item="li"))
    result = project.cli("status")
    assert result.exit_code == 0
    assert "daemon: not running" in result.output and "no state in" in result.output
    assert not project.state.exists()  # a read-only command creates nothing


def test_status_shows_each_source_the_outbox_and_the_last_delivery(checked):
    store = Store.open(checked.state)
    sent_delivery(store, at="2026-11-01T10:00:00Z")
    sent_delivery(store, status="pending", at="2026-11-01T10:00:00Z")
    sent_delivery(store, status="dead", at="2026-11-01T10:00:00Z")
    store.close()

    output = checked.cli("status").output
    lines = {line.split()[0]: line for line in output.splitlines() if line.split()[:1] in (["a"], ["b"], ["c"])}
    assert "baseline" in lines["a"] and "never checked" in lines["b"] and "disabled" in lines["c"]
    assert "daemon: not running" in output
    assert "outbox: 1 pending, 1 dead" in output and "1 sent" in output
    assert "last delivery: 2026-11-01 10:00 UTC (" in output and "to ops: Test alert" in output

    picture = json.loads(checked.cli("status", "--json").output)
    assert picture["daemon"] == {"running": False, "pid": None}
    by_name = {source["name"]: source for source in picture["sources"]}
    assert by_name["a"]["result"] == "baseline" and by_name["a"]["failures"] == 0 and by_name["a"]["last_check"]
    assert by_name["b"]["result"] is None and by_name["c"]["enabled"] is False
    assert picture["outbox"]["pending"] == 1 and picture["outbox"]["dead"] == 1
    assert picture["last_delivery"]["tag"] == "ops"


def test_times_are_shown_in_the_display_timezone_and_stored_in_utc(checked, site):
    text = checked.sources.read_text("utf-8").replace("[settings]", '[settings]\ntimezone = "Europe/Berlin"')
    checked.sources.write_text(text, "utf-8")
    store = Store.open(checked.state)
    sent_delivery(store, at="2026-11-01T10:00:00Z")
    sent_delivery(store, status="pending", at="2026-07-01T22:30:00Z")
    store.close()
    status = checked.cli("status").output
    assert "last delivery: 2026-11-01 11:00 CET (" in status
    outbox = checked.cli("outbox").output
    assert "2026-11-01 11:00 CET" in outbox and "2026-07-02 00:30 CEST" in outbox
    assert json.loads(checked.cli("status", "--json").output)["last_delivery"]["sent_at"] == "2026-11-01T10:00:00Z"
    last_check = json.loads(checked.cli("sources", "--json").output.splitlines()[0])["last_check"]
    assert last_check.endswith("Z")  # JSON keeps the stored UTC stamp
    assert display(last_check, "Europe/Berlin") in checked.cli("sources").output


def test_outbox_shows_the_whole_last_error_after_the_masked_url(checked):
    store = Store.open(checked.state)
    delivery = sent_delivery(store, status="dead", at="2026-11-01T10:00:00Z")
    error = "json://127.0.0.1:48213/hooks/procurement/T0000000/B0000000/****: HTTP 500 Internal Server Error"
    with store.transaction() as db:
        db.execute("UPDATE deliveries SET last_error = ? WHERE id = ?", [error, delivery])
    store.close()
    assert error in checked.cli("outbox").output


def test_status_shows_next_runs_while_a_daemon_holds_the_state(checked, site):
    store = Store.open(checked.state)
    store.upkeep.set_next_runs(
        [("a", site.url("/a"), "html", "2099-01-01T00:00:00Z"), ("b", site.url("/b"), "html", "2099-01-01T00:05:00Z")]
    )
    store.close()
    assert "2099" not in checked.cli("status").output  # no daemon: no next run to promise

    lock = StateLock(checked.state)
    lock.acquire()
    try:
        output = checked.cli("status").output
        picture = json.loads(checked.cli("status", "--json").output)
    finally:
        lock.release()
    assert "daemon: running (pid" in output
    assert "2099-01-01 00:00 UTC (in " in output and "2099-01-01 00:05 UTC (in " in output
    assert picture["daemon"]["running"] is True
    assert {s["name"]: s["next_run"] for s in picture["sources"]}["b"] == "2099-01-01T00:05:00Z"

    store = Store.open(checked.state)
    store.upkeep.set_next_runs([("b", "", "", None)])  # removed from the schedule
    assert store.reports.source_rows()["b"]["next_run_at"] is None
    assert store.reports.source_rows()["a"]["next_run_at"] == "2099-01-01T00:00:00Z"
    store.close()


def test_status_with_an_invalid_sources_file_still_shows_the_stored_sources(checked):
    checked.sources.write_text('[[source]]\nname = "a"\n', "utf-8")
    result = checked.cli("status")
    assert result.exit_code == 0
    assert "warning:" in result.output and "missing required key 'url'" in result.output
    assert any(line.startswith("a ") and "baseline" in line for line in result.output.splitlines())


# -- prune ----------------------------------------------------------------------------------------------------


def test_prune_deletes_old_check_logs_and_delivered_rows_and_keeps_the_record(checked, site):
    assert checked.cli("check", "--no-notify", "--source", "a").exit_code == 0  # a second check-log row
    store = Store.open(checked.state)
    with store.transaction() as db:
        db.execute("UPDATE checks SET started_at = ? WHERE id = (SELECT MIN(id) FROM checks)", [OLD])
    sent_delivery(store, "sent", attempts=2)
    sent_delivery(store, "sent")  # a row sent in a digest is "sent" too
    sent_delivery(store, "pending")  # not delivered yet: kept, however old
    sent_delivery(store, "dead")  # kept for `watcher outbox retry`
    sent_delivery(store, "sent", at=store.now())
    before = counts(store)
    store.close()

    dry = checked.cli("prune", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would delete 1 check-log rows, 2 delivered outbox rows and 3 delivery attempts" in dry.output
    store = Store.open(checked.state)
    assert counts(store) == before
    store.close()

    done = checked.cli("prune")  # default: [settings] retention, 90d
    assert "deleted 1 check-log rows, 2 delivered outbox rows and 3 delivery attempts" in done.output
    store = Store.open(checked.state)
    after = counts(store)
    statuses = sorted(row[0] for row in store.db.execute("SELECT status FROM deliveries"))
    store.close()
    assert after["checks"] == before["checks"] - 1
    assert after["deliveries"] == before["deliveries"] - 2 and after["attempts"] == before["attempts"] - 3
    assert statuses == ["dead", "pending", "sent"]
    for kept in ("events", "items", "changes"):
        assert after[kept] == before[kept], kept
    assert "deleted 0 check-log rows" in checked.cli("prune").output  # idempotent


def test_prune_older_than_and_the_retention_setting(checked):
    store = Store.open(checked.state)
    with store.transaction() as db:
        db.execute("UPDATE checks SET started_at = ?", [OLD])
    store.close()
    assert "would delete 0 check-log rows" in checked.cli("prune", "--dry-run", "--older-than", "5000d").output
    assert "would delete 1 check-log rows" in checked.cli("prune", "--dry-run", "--older-than", "30d").output

    text = checked.sources.read_text("utf-8").replace("[settings]", '[settings]\nretention = "5000d"')
    checked.sources.write_text(text, "utf-8")
    assert "would delete 0 check-log rows" in checked.cli("prune", "--dry-run").output

    bad = checked.cli("prune", "--older-than", "soon")
    assert bad.exit_code == 2 and "'soon' is not a duration" in bad.output


def test_prune_without_state_and_in_small_batches(project, tmp_path):
    project.write_sources(source_entry("a", "http://127.0.0.1:9/a", "html", item="li"))
    assert "nothing to prune" in project.cli("prune").output
    store = Store.open(tmp_path / "batched")
    for _ in range(7):
        sent_delivery(store, "sent")
    assert store.upkeep.prune("2026-01-01T00:00:00Z", batch=3) == {"checks": 0, "deliveries": 7, "attempts": 7}
    store.close()


ANCIENT = "2024-01-01T00:00:00Z"  # beyond the two-year history horizon


def test_prune_history_retires_old_events_changes_and_gone_items_but_never_pending_or_live(project, site):
    def listing(*titles: str) -> str:
        rows = "".join(f'<li><a href="/n/{abs(hash(t)) % 10**6}">{t}</a> <span>2024-01-01</span></li>' for t in titles)
        return f"<ul>{rows}</ul>"

    delivered = "商务部公告2023年第1号 对镓锗相关物项实施出口管制"
    waiting = "商务部公告2023年第2号 对石墨相关物项实施出口管制"
    page = site.add("/a", listing("Notice A", "Notice B", "Notice C"))
    project.write_sources(source_entry("a", site.url("/a"), "html", item="li"))
    assert project.cli("check", "--no-notify").exit_code == 0  # baseline
    page.set_body(listing("Notice A", delivered, waiting).encode())
    assert project.cli("check", "--no-notify").exit_code == 0
    store = Store.open(project.state)
    with store.transaction() as db:
        db.execute(
            "UPDATE deliveries SET status = 'sent', sent_at = ? "
            "WHERE event_id = (SELECT id FROM events WHERE title = ?)",
            [ANCIENT, delivered],
        )
        for table, column in (
            ("events", "first_seen"),
            ("event_sources", "seen_at"),
            ("event_keys", "seen_at"),
            ("changes", "detected_at"),
            ("deliveries", "created_at"),
            ("items", "first_seen"),
        ):
            db.execute(f"UPDATE {table} SET {column} = ?", [ANCIENT])
        db.execute("UPDATE items SET gone_at = ? WHERE gone_at IS NOT NULL", [ANCIENT])
    before = counts(store)
    store.close()
    assert before["events"] == 2 and before["changes"] == 4 and before["items"] == 5

    dry = project.cli("prune", "--dry-run")
    assert "would delete 1 events, 3 changes and 2 gone items older than" in dry.output
    done = project.cli("prune")
    assert "deleted 1 events, 3 changes and 2 gone items older than" in done.output
    store = Store.open(project.state)
    assert [row[0] for row in store.db.execute("SELECT title FROM events")] == [waiting]  # its alert is pending
    assert store.db.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == 1
    assert (
        store.db.execute("SELECT COUNT(*) FROM event_keys WHERE event_id NOT IN (SELECT id FROM events)").fetchone()[0]
        == 0
    )
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 1
    live = sorted(row[0] for row in store.db.execute("SELECT title FROM items"))
    store.close()
    assert live == sorted(["Notice A", delivered, waiting])  # every item still on the page is kept
    again = project.cli("check", "--no-notify")
    assert "0 new, 0 changed" in again.output  # so nothing is reported as new
    assert "deleted 0 events" in project.cli("prune", "--history-older-than", "30d").output
