"""check_source end to end against a loopback site and a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.config.sources import parse_config
from watcher.pipeline.check import check_source, run_checks
from watcher.pipeline.wiring import build_pipeline
from watcher.store import Store


def notices(*numbers: int) -> str:
    rows = "".join(
        f'<li><a href="/art/2025/art_{n:032x}.html" title="商务部公告2025年第{n}号">第{n}号…</a>'
        f"<span>[2025-10-{n:02d}]</span></li>"
        for n in numbers
    )
    return f'<html><body><div class="nav"><a href="/">首页</a></div><ul class="txtList_01">{rows}</ul></body></html>'


@pytest.fixture
def env(site, tmp_path):
    """A pipeline over a state dir, with a helper to (re)configure sources."""

    class Env:
        store = Store.open(tmp_path / "state")

        def configure(self, **extra):
            entry = {
                "name": "mofcom",
                "url": site.url("/list"),
                "kind": "html",
                "item": "ul.txtList_01 > li",
                "retries": 0,
                **extra,
            }
            entry = {key: value for key, value in entry.items() if value is not None}  # None: leave the key out
            config = parse_config(
                {"settings": {"host_interval": 0, "failure_threshold": 2}, "source": [entry]}, Path("t.toml")
            )
            self.source = config.sources[0]
            self.pipeline = build_pipeline(config, self.store)
            return self.source

        def check(self):
            return check_source(self.source, self.pipeline)

        def rows(self, sql, *params):
            return self.store.db.execute(sql, params).fetchall()

    environment = Env()
    environment.configure()
    yield environment
    environment.store.close()


def test_baseline_then_new_then_conditional_unchanged(site, env):
    page = site.add("/list", notices(1, 2, 3))
    first = env.check()
    assert first.status == "baseline" and first.changes == [] and first.items == 3

    page.set_body(notices(4, 1, 2, 3).encode())
    second = env.check()
    assert second.status == "ok"
    assert [(c.change, c.item.title, c.item.published) for c in second.changes] == [
        ("new", "商务部公告2025年第4号", "2025-10-04")
    ]

    third = env.check()
    assert third.status == "unchanged" and third.changes == [] and third.http_status == 304
    assert site.hits("/list")[-1]["headers"]["If-None-Match"] == page.etag
    assert env.rows("SELECT status, http_status, items, new FROM checks ORDER BY id") == [
        ("baseline", 200, 3, 0),
        ("ok", 200, 4, 1),
        ("unchanged", 304, 0, 0),
    ]


def test_same_body_without_validators_skips_parsing(site, env):
    site.add("/list", notices(1, 2), validators=False)
    env.check()
    again = env.check()
    assert again.status == "unchanged" and again.http_status == 200 and again.items == 0


def test_removed_and_returning_items(site, env):
    page = site.add("/list", notices(1, 2, 3))
    env.check()
    page.set_body(notices(4, 1, 2).encode())
    changes = env.check().changes
    assert sorted((c.change, c.item.title) for c in changes) == [
        ("new", "商务部公告2025年第4号"),
        ("removed", "商务部公告2025年第3号"),
    ]
    page.set_body(notices(4, 1, 2, 3).encode())
    assert env.check().changes == []  # back on the page, unchanged: not new a second time


def test_selector_that_stops_matching_is_broken_not_removed(site, env):
    page = site.add("/list", notices(1, 2, 3))
    env.check()
    page.set_body(b"<html><body><div class='list-new'><p>redesigned</p></div></body></html>")
    broken = env.check()
    assert broken.status == "broken" and broken.changes == []
    assert "no items found (it matched 3 before)" in broken.error
    assert env.rows("SELECT COUNT(*) FROM items WHERE gone_at IS NULL") == [(3,)]
    assert env.rows("SELECT COUNT(*) FROM changes") == [(0,)]
    health = env.rows("SELECT kind, title FROM events")
    assert health == [("health", "Source broken: mofcom")]

    page.set_body(notices(1, 2, 3).encode())
    fixed = env.check()
    assert fixed.status == "unchanged" and fixed.changes == []  # the same page as before it broke
    assert env.rows("SELECT title FROM events ORDER BY id")[-1] == ("Source recovered: mofcom",)
    assert env.rows("SELECT failures, broken_since FROM sources") == [(0, None)]


def test_wrong_selector_on_first_check_is_reported(site, env):
    site.add("/list", notices(1))
    env.configure(item="ul.wrong > li")
    result = env.check()
    assert result.status == "broken" and "on the first check" in result.error


def test_failures_count_and_raise_one_health_event(site, env):
    site.add("/list", notices(1), status=500, validators=False)
    statuses = [env.check().status for _ in range(4)]
    assert statuses == ["error"] * 4
    assert env.rows("SELECT failures, last_error FROM sources") == [(4, "HTTP 500 Internal Server Error")]
    assert env.rows("SELECT COUNT(*) FROM events WHERE kind = 'health'") == [(1,)]  # at the 2nd failure only


def test_configuration_change_rebaselines_quietly(site, env):
    page = site.add("/list", notices(1, 2))
    env.check()
    page.set_body(notices(3, 1, 2).encode())
    env.configure(item="ul.txtList_01 li")  # the analyst edits the selector at the same time
    result = env.check()
    assert result.status == "baseline" and result.changes == []


def test_fixing_the_encoding_rebaselines_instead_of_reporting_every_item(site, env):
    page = site.add("/list", notices(1, 2, 3, 4, 5))  # UTF-8 Chinese titles
    env.configure(encoding="latin-1")  # the analyst's mistake: every title is mojibake
    env.check()
    page.set_body(notices(6, 1, 2, 3, 4, 5).encode())
    env.configure(encoding="utf-8")  # fixed, while one notice was added
    result = env.check()
    assert result.status == "baseline" and result.changes == []
    titles = [row[0] for row in env.rows("SELECT title FROM items WHERE gone_at IS NULL ORDER BY item_id")]
    assert "商务部公告2025年第6号" in titles and len(titles) == 6
    page.set_body(notices(7, 6, 1, 2, 3, 4, 5).encode())
    assert [(c.change, c.item.title) for c in env.check().changes] == [("new", "商务部公告2025年第7号")]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({}, {"encoding": "utf-8"}),
        ({"title": "a"}, {"title": "span"}),
        ({}, {"base_url": "https://www.mofcom.gov.cn/zwgk/"}),
        ({}, {"text": "a"}),
        ({}, {"item": "ul.txtList_01 li"}),
    ],
)
def test_every_key_that_changes_what_is_extracted_rebaselines(site, env, before, after):
    site.add("/list", notices(1, 2))
    env.configure(**before)
    env.check()
    env.configure(**after)
    assert env.check().status == "baseline"


def test_keys_that_do_not_change_the_items_do_not_rebaseline(site, env):
    page = site.add("/list", notices(1, 2))
    env.check()
    page.set_body(notices(3, 1, 2).encode())
    env.configure(interval="5m", tags=["x"], official=True, timeout="10s", detail={"max": 1}, notify=["ops"])
    result = env.check()
    assert result.status == "ok" and [(c.change, c.item.title) for c in result.changes] == [
        ("new", "商务部公告2025年第3号")
    ]


def test_items_of_the_old_shape_are_retired_at_a_rebaseline_not_reported_removed(site, env):
    old_rows = "".join(f'<p class="old"><a href="/old/{n}.html">旧栏目{n}</a></p>' for n in (1, 2))
    page = site.add("/list", notices(1, 2).replace("<ul", old_rows + "<ul"))
    env.configure(item="p.old")
    assert env.check().items == 2
    env.configure(item="ul.txtList_01 > li")  # the analyst points the entry at the right list
    assert env.check().status == "baseline"
    page.set_body(page.body + b"<!-- touched -->")
    result = env.check()
    assert result.status == "ok" and result.changes == []  # not: 2 removed
    assert env.rows("SELECT COUNT(*) FROM items WHERE gone_at IS NULL") == [(2,)]


def test_baseline_false_reports_everything_at_first(site, env):
    site.add("/list", notices(1, 2))
    env.configure(baseline=False)
    result = env.check()
    assert result.status == "ok" and [c.change for c in result.changes] == ["new", "new"]


def test_full_disk_loses_nothing(site, env):
    page = site.add("/list", notices(1, 2))
    env.check()
    long_title = "商务部公告2025年第3号 " + "关于稀土物项出口管制的决定 " * 4000  # needs new pages to store
    page.set_body(
        notices(1, 2)
        .replace('<ul class="txtList_01">', f'<ul class="txtList_01"><li><a href="/art/3.html">{long_title}</a></li>')
        .encode()
    )
    env.store.db.execute("VACUUM")
    pages = env.store.db.execute("PRAGMA page_count").fetchone()[0]
    env.store.db.execute(f"PRAGMA max_page_count = {pages}")  # no room for one more page: SQLITE_FULL
    full = env.check()
    assert full.status == "error" and full.error.startswith("state: cannot write the state database")
    assert "free disk space" in full.error
    env.store.db.execute("PRAGMA max_page_count = 1073741823")
    recovered = env.check()
    assert [(c.change, c.item.title[:13]) for c in recovered.changes] == [("new", "商务部公告2025年第3号")]
    assert env.rows("SELECT COUNT(*) FROM changes") == [(1,)]


def test_run_checks_isolates_failures(site, tmp_path):
    site.add("/a", notices(1))
    site.add("/b", notices(2))
    entries = [
        {"name": n, "url": site.url(p), "kind": "html", "item": "li", "retries": 0}
        for n, p in (("a", "/a"), ("b", "/b"), ("dead", "/nothing"))
    ]
    config = parse_config({"settings": {"host_interval": 0}, "source": entries}, Path("t.toml"))
    store = Store.open(tmp_path / "state")
    results = {r.source: r for r in run_checks(config.sources, build_pipeline(config, store), workers=3)}
    assert results["a"].status == results["b"].status == "baseline"
    assert results["dead"].status == "error" and "HTTP 404" in results["dead"].error
    store.close()


RULES_PAGE = """<html><head><title>China tightens export controls on rare earths: guidance for exporters</title></head>
<body><main><h1>Export controls on rare earths</h1><p>This guidance explains the licensing rules.</p>
{extra}<p>Page last reviewed: {day} October 2025</p></main></body></html>"""


def test_a_page_edit_is_classified_by_what_changed_not_by_the_page_title(site, env):
    page = site.add("/rules", RULES_PAGE.format(extra="", day=9))
    env.configure(url=site.url("/rules"), kind="page", item=None, selector="main", official=True)
    assert env.check().status == "baseline"
    page.set_body(RULES_PAGE.format(extra="", day=10).encode())
    (change,) = env.check().changes
    assert change.diff == "- Page last reviewed: 9 October 2025\n+ Page last reviewed: 10 October 2025"
    assert env.rows("SELECT label, severity FROM events") == [("irrelevant", "low")]

    added = "<p>Export licences are now required for gallium and germanium items from 1 December 2025.</p>"
    page.set_body(RULES_PAGE.format(extra=added, day=10).encode())
    env.check()  # the same page edited again the same day: a new event, not merged into the first by its title
    assert env.rows("SELECT label, severity FROM events ORDER BY id") == [
        ("irrelevant", "low"),
        ("export_control", "high"),
    ]
