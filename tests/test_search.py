"""Search and filters over stored events: exactly the matching events, in English and Chinese, kept in step
with every write (new events, merged outlets, deletes by retention) by the index's triggers."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import webstate

from watcher.core.models import NewEvent
from watcher.store import Store
from watcher.store.search import MAX_EXPANSION, QueryTooBroad
from watcher.store.views import EventQuery


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> webstate.WebState:
    built = webstate.build(tmp_path_factory.mktemp("web") / "project")
    yield built
    built.site.close()


@pytest.fixture
def store(state):
    opened = Store.open_reader(state.state)
    yield opened
    opened.close()


def ids(store: Store, **query) -> list[int]:
    return [row["id"] for row in store.views.events(EventQuery(limit=1000, **query)).rows]


FIXED_TERMS = [
    "镓",
    "稀土",
    "土",
    "出口管制",
    "第一批",
    "商务部公告",
    "gallium",
    "GALLIUM",
    "Ga",
    "Dy",
    "a",
    "rare earth",
    '"rare earth"',
    '"export controls"',
    "镓 gallium",
    "稀土 quota",
    "120000",
    "工信部联原〔2024〕25号",
    "<script>",
    "=HYPER",
    "LABUBU",
    "nothing-like-this",
    "镓锗稀",
]


@pytest.mark.parametrize("text", FIXED_TERMS)
def test_search_returns_exactly_the_events_containing_every_term(state, store, text):
    assert ids(store, text=text) == state.oracle(text=text)


def test_every_substring_of_every_title_finds_exactly_its_events(state, store):
    """Terms of 1 to 5 characters cut from every stored title, Chinese and English: index = brute force."""
    db = sqlite3.connect(state.state / "watcher.db")
    titles = [title for (title,) in db.execute("SELECT title FROM events")]
    db.close()
    terms = {
        title[start : start + size].strip()
        for title in titles
        for size in (1, 2, 3, 5)
        for start in range(0, max(len(title) - size, 1), 7)
    }
    terms = sorted(term for term in terms if term and '"' not in term and " " not in term)
    assert len(terms) > 200
    wrong = [term for term in terms if ids(store, text=term) != state.oracle(text=term)]
    assert wrong == []


@pytest.mark.parametrize(
    "query",
    [
        {"labels": ("quota",)},
        {"labels": ("export_control", "deal")},
        {"severities": ("high",)},
        {"sources": ("loopback-wire",)},
        {"sources": ("miit-ycls-wjfb", "mining-com")},
        {"labels": ("export_control",), "text": "镓"},
        {"labels": ("quota",), "text": "稀土"},
        {"severities": ("medium",), "text": "export"},
        {"sources": ("loopback-press",), "text": "稀土"},
    ],
    ids=str,
)
def test_filters_return_exactly_the_matching_events(state, store, query):
    assert ids(store, **query) == state.oracle(**query)
    assert ids(store, **query), "a filter the state has no event for tests nothing"


def test_since_keeps_the_events_first_seen_from_then_on(state, store):
    db = sqlite3.connect(state.state / "watcher.db")
    stamps = sorted({stamp for (stamp,) in db.execute("SELECT first_seen FROM events")})
    db.close()
    for stamp in stamps:
        assert ids(store, since=stamp) == state.oracle(since=stamp)
    assert ids(store, since="2999-01-01T00:00:00Z") == []


def test_pages_follow_a_cursor_and_add_up_to_the_whole_list(state, store):
    for query in ({}, {"text": "稀土"}, {"labels": ("export_control",)}):
        collected, before = [], None
        while True:
            page = store.views.events(EventQuery(limit=2, before=before, **query))
            assert len(page.rows) <= 2
            collected += [row["id"] for row in page.rows]
            if page.next_before is None:
                break
            before = page.next_before
        assert collected == state.oracle(**{"text": query.get("text", ""), "labels": query.get("labels", ())})


@pytest.fixture
def writable(state, tmp_path) -> Store:
    """A copy of the state to write to."""
    shutil.copytree(state.state, tmp_path / "state")
    opened = Store.open(tmp_path / "state")
    yield opened
    opened.close()


def test_the_index_follows_every_write_of_a_story(writable):
    store = writable
    written = store.events.record_health(
        NewEvent(source="wire", label="deal", severity="low", title="锑 offtake signed", facts={"tonnes": 4321})
    )
    event_id = written["id"]
    assert ids(store, text="锑") == [event_id]
    assert ids(store, text="4321") == [event_id]  # a fact's value
    with store.transaction() as db:  # another outlet reports the story (as a merge does)
        db.execute(
            "INSERT OR IGNORE INTO event_sources (event_id, source, title, url, seen_at) VALUES (?,?,?,?,?)",
            [event_id, "press", "Antimony deal for 鋁 buyers", "http://x/1", store.now()],
        )
    assert ids(store, text="鋁") == [event_id] and ids(store, text="Antimony") == [event_id]
    assert ids(store, sources=("press",)) == [event_id]
    with store.transaction() as db:  # the event's facts are rewritten (a merge adds figures)
        db.execute("UPDATE events SET facts = ? WHERE id = ?", ['{"tonnes": 9876}', event_id])
    assert ids(store, text="4321") == [] and ids(store, text="9876") == [event_id]
    with store.transaction() as db:  # retention deletes the story, its outlets and its changes
        db.execute("DELETE FROM event_sources WHERE event_id = ?", [event_id])
        db.execute("DELETE FROM changes WHERE event_id = ?", [event_id])
        db.execute("DELETE FROM events WHERE id = ?", [event_id])
    assert ids(store, text="锑") == [] and ids(store, text="Antimony") == []
    remaining = store.db.execute("SELECT COUNT(*) FROM event_search WHERE rowid = ?", [event_id]).fetchone()[0]
    assert remaining == 0


def test_a_change_linked_to_an_event_makes_its_text_searchable(writable):
    store = writable
    event_id = store.events.record_health(NewEvent(source="s", label="quota", severity="low", title="notice"))["id"]
    with store.transaction() as db:
        db.execute(
            "INSERT INTO changes (source, item_id, change, title, text, detected_at) VALUES (?,?,?,?,?,?)",
            ["s", "i1", "new", "notice", "全文：钽铌精矿开采总量控制指标", store.now()],
        )
        db.execute("UPDATE changes SET event_id = ? WHERE item_id = 'i1'", [event_id])
    assert ids(store, text="钽铌精") == [event_id] and ids(store, text="钽") == [event_id]
    with store.transaction() as db:
        db.execute("DELETE FROM changes WHERE item_id = 'i1'")
    assert ids(store, text="钽") == []


def test_a_write_that_fails_leaves_the_index_as_it_was(writable):
    store = writable
    before = store.db.execute("SELECT COUNT(*) FROM event_search").fetchone()[0]
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute(
            "INSERT INTO events (kind, source, label, severity, title, first_seen) VALUES "
            "('change', 's', 'deal', 'low', '铟 rolled back', '2026-01-01T00:00:00Z')"
        )
        raise RuntimeError("the check failed after writing its event")
    assert store.db.execute("SELECT COUNT(*) FROM event_search").fetchone()[0] == before
    assert ids(store, text="铟") == []


def test_upgrading_an_older_state_indexes_the_events_it_already_has(tmp_path):
    from sqlite_utils import Database

    from watcher.store.schema import migrations

    path = tmp_path / "state"
    path.mkdir()
    db = Database(path / "watcher.db")
    migrations.apply(db, stop_before="0008_event_search")
    db.execute(
        "INSERT INTO events (kind, source, label, severity, title, summary, first_seen, facts) VALUES "
        "('change', 'mofcom', 'export_control', 'high', '关于对锑实施出口管制', 'antimony', '2024-08-15T00:00:00Z', "
        '\'{"elements": ["Sb"]}\')'
    )
    db.conn.commit()
    db.close()
    store = Store.open(path)
    try:
        assert ids(store, text="锑") == [1] and ids(store, text="Sb") == [1] and ids(store, text="antimony") == [1]
    finally:
        store.close()


def test_a_short_term_too_common_to_expand_is_refused_with_advice(writable):
    text = " ".join("x" + chr(0x4E00 + i // 80) + chr(0x4E00 + i % 80) for i in range(MAX_EXPANSION + 10))
    writable.events.record_health(NewEvent(source="s", label="market", severity="low", title="t", summary=text))
    with pytest.raises(QueryTooBroad, match="add a character"):
        writable.views.events(EventQuery(text="x"))
    assert len(ids(writable, text="x一一")) == 1  # three characters: the trigram index answers directly


def test_the_reader_cannot_write(state):
    reader = Store.open_reader(state.state)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.db.execute("DELETE FROM events")
    finally:
        reader.close()


def test_a_reader_needs_an_existing_state(tmp_path: Path):
    from watcher.core.errors import StateError

    with pytest.raises(StateError, match="no state"):
        Store.open_reader(tmp_path)
