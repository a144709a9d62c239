"""Story merging: a later sighting joins an earlier event, but never lowers what a reader gets."""

from __future__ import annotations

import html
import json
import sqlite3

from conftest import source_entry
from test_notify import configure

from watcher.core.models import NewEvent
from watcher.store.stories import Sighting, Story, decide

# A number the lexicon does not know as a control announcement: its bare title alone reads as irrelevant.
TITLE = "商务部公告2025年第99号"
CONTROL_BODY = "商务部公告2025年第99号 公布对境外相关稀土物项实施出口管制的决定。自公布之日起施行。"


def rss(*entries: tuple[str, str, str]) -> str:
    entries = (*entries, ("Lynas quarterly report", "https://lynas.example/0", "quarterly"))
    items = "".join(
        f"<item><title>{html.escape(title)}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{html.escape(text)}</description></item>"
        for title, link, text in entries
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def page(*paragraphs: str) -> str:
    return "<html><body><main>" + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs) + "</main></body></html>"


def sighting(**fields) -> NewEvent:
    base = {"source": "wire", "label": "export_control", "severity": "medium", "title": TITLE}
    return NewEvent(**{**base, **fields})


def test_the_decision_in_one_function():
    story = Story(1, "export_control", "medium", False, (Sighting("wire", "a", "h1", False),))
    assert decide(story, sighting()).joins and not decide(story, sighting()).upgrade  # the same news again
    assert decide(story, sighting(severity="high")).upgrade
    assert decide(story, sighting(label="quota")).upgrade
    assert decide(story, sighting(official=True, source="mofcom")).upgrade
    assert not decide(story, sighting(label="irrelevant", official=True)).upgrade  # a link, never an alert
    irrelevant = Story(2, "irrelevant", "low", False, ())
    assert decide(irrelevant, sighting(severity="low")).upgrade
    document = Story(3, "export_control", "high", True, (Sighting("rules", "p", "old", True),))
    assert not decide(document, sighting(source="rules", page=True, text_hash="new")).joins  # another edit
    assert decide(document, sighting(source="rules", page=True, text_hash="old", severity="high")).joins


def _sources(project, site, news_body: str) -> None:
    site.add(
        "/news.xml",
        rss(),
        content_type="application/rss+xml",
    )
    site.add(
        "/mofcom.xml",
        rss(),
        content_type="application/rss+xml",
    )
    project.write_sources(
        source_entry("news", site.url("/news.xml"), kind="feed")
        + source_entry("mofcom", site.url("/mofcom.xml"), kind="feed", official=True, publisher="MOFCOM")
    )
    assert project.cli("check").exit_code == 0  # baseline
    site.pages["/news.xml"].set_body(rss((TITLE, "https://news.example/61", news_body)).encode())


def test_an_official_notice_after_an_irrelevant_item_with_its_title_is_alerted(site, project):
    configure(project, site)
    _sources(project, site, "本网讯 今日天气晴，气温适宜。")
    first = project.cli("check", "--json")
    (news,) = [json.loads(line) for line in first.stdout.splitlines()]
    assert news["label"] == "irrelevant"
    assert site.received("/hook") == []
    site.pages["/mofcom.xml"].set_body(rss((TITLE, "https://mofcom.example/61", CONTROL_BODY)).encode())
    second = project.cli("check", "--json")
    (notice,) = [json.loads(line) for line in second.stdout.splitlines()]
    assert notice["label"] == "export_control" and notice["event_id"] == news["event_id"]  # one story
    (alert,) = site.received("/hook")
    assert alert["title"] == "[EXPORT CONTROL · high] MOFCOM Announcement No. 99 of 2025: export controls"
    assert "Original title: 商务部公告2025年第99号" in alert["message"]  # the Chinese title stays beneath
    assert "https://mofcom.example/61" in alert["message"]


def test_an_upgrade_of_a_delivered_story_sends_one_short_update(site, project):
    configure(project, site)
    _sources(project, site, CONTROL_BODY)
    project.cli("check")
    (first,) = site.received("/hook")
    assert first["title"].startswith("[EXPORT CONTROL · high] MOFCOM Announcement No. 99 of 2025")  # the news's
    site.pages["/mofcom.xml"].set_body(rss((TITLE, "https://mofcom.example/61", CONTROL_BODY)).encode())
    project.cli("check")
    _, update = site.received("/hook")
    assert update["title"].startswith("[UPDATE · EXPORT CONTROL · high] MOFCOM Announcement No. 99 of 2025")
    assert "(official source) now reports this story" in update["message"]
    assert "Was EXPORT CONTROL · high; now EXPORT CONTROL · high (an official source)" in update["message"]
    assert len(update["message"]) < len(first["message"]) + 200 and "Matched" not in update["message"]
    # the same story once more, from the same sources: nothing new for anyone
    site.pages["/news.xml"].set_body(
        rss(
            (TITLE, "https://news.example/61", CONTROL_BODY), (TITLE, "https://news.example/61b", CONTROL_BODY)
        ).encode()
    )
    project.cli("check")
    assert len(site.received("/hook")) == 2


def test_an_upgrade_before_delivery_is_one_message_not_two(site, project):
    configure(project, site)
    _sources(project, site, CONTROL_BODY)
    project.cli("check", "--no-notify")
    site.pages["/mofcom.xml"].set_body(rss((TITLE, "https://mofcom.example/61", CONTROL_BODY)).encode())
    project.cli("check", "--no-notify")
    assert "delivered 1 (procurement 1)" in project.cli("outbox", "send").output
    (alert,) = site.received("/hook")
    assert alert["title"].startswith("[EXPORT CONTROL · high] MOFCOM Announcement")  # the upgrade, told once
    assert "https://mofcom.example/61" in alert["message"]


def test_each_edit_of_a_watched_page_is_its_own_alert(site, project):
    configure(project, site)
    rules = site.add("/rules", page("稀土管理条例", "第一条 为了加强稀土管理。"))
    project.write_sources(source_entry("rules", site.url("/rules"), kind="page", official=True, selector="main"))
    assert project.cli("check").exit_code == 0  # baseline
    rules.set_body(page("稀土管理条例", "第一条 为了加强稀土管理。", "第二条 对稀土物项实施出口管制。").encode())
    project.cli("check")
    rules.set_body(
        page(
            "稀土管理条例",
            "第一条 为了加强稀土管理。",
            "第二条 对稀土物项实施出口管制。",
            "第三条 稀土出口管制物项清单另行公布。",
        ).encode()
    )
    project.cli("check")
    assert len(site.received("/hook")) == 2


def test_databases_of_the_previous_schema_migrate(tmp_path):
    from watcher.store import Store
    from watcher.store.schema import migrations

    path = tmp_path / "state"
    path.mkdir()
    connection = sqlite3.connect(path / "watcher.db")
    from sqlite_utils import Database

    db = Database(connection)
    migrations.apply(db, stop_before="0007_story_state")
    db.execute(
        "INSERT INTO events (kind, source, label, severity, title, first_seen) "
        "VALUES ('change', 'news', 'deal', 'medium', 't', '2025-01-01T00:00:00Z')"
    )
    db.execute(
        "INSERT INTO deliveries (event_id, tag, status, next_attempt_at, created_at, done_targets) "
        "VALUES (1, 'procurement', 'sent', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '[\"a\"]')"
    )
    connection.commit()
    connection.close()
    store = Store.open(path)
    assert store.db.execute("SELECT official FROM events").fetchall() == [(0,)]
    assert store.db.execute("SELECT tag, status, done_targets, update_id FROM deliveries").fetchall() == [
        ("procurement", "sent", '["a"]', 0)
    ]
    store.close()
