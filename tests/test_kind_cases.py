"""Each shipped kind against its table of cases (tests/kind_cases.py runs them), and every kind has one."""

from __future__ import annotations

import json

import pytest
from kind_cases import Case, KindTester

from watcher.extract.registry import kind_names

JSON = "application/json"
RSS = "application/rss+xml"


def _list(*rows: str) -> str:
    return "<html><head><title>Notices</title></head><body><ul class='list'>" + "".join(rows) + "</ul></body></html>"


def _rss(*items: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title>'
        "<link>https://news.example.org/</link>" + "".join(items) + "</channel></rss>"
    )


HTML = [
    Case(
        "defaults",
        _list(
            "<li><a href='/n/1.html'>Export control notice</a> <span>2025-10-09</span></li>",
            "<li><a href='http://other.example/2.html'>Quota notice</a> 2025年10月8日</li>",
        ),
        {"item": "ul.list > li"},
        items=[
            {"title": "Export control notice", "url": "{base}/n/1.html", "published": "2025-10-09"},
            {"title": "Quota notice", "url": "http://other.example/2.html", "published": "2025-10-08"},
        ],
        fits=True,
    ),
    Case(
        "title-attribute-wins-over-a-cut-text",
        _list(
            "<li><a href='/a' title='关于下达2025年度稀土开采总量控制指标的通知'>关于下达2025年度…</a> 2025-03-01</li>"
        ),
        {"item": "li"},
        items=[{"title": "关于下达2025年度稀土开采总量控制指标的通知"}],
    ),
    Case(
        "base-href",
        "<html><head><base href='http://x.org/dir/'></head>"
        "<body><ul><li><a href='a.html'>A</a></li></ul></body></html>",
        {"item": "li"},
        items=[{"url": "http://x.org/dir/a.html", "id": "//x.org/dir/a.html"}],
    ),
    Case(
        "base-url-option",
        _list("<li><a href='b.html'>B</a></li>"),
        {"item": "li", "base_url": "https://www.miit.gov.cn/zwgk/"},
        items=[{"url": "https://www.miit.gov.cn/zwgk/b.html"}],
    ),
    Case(
        "html-inside-json",
        json.dumps({"data": {"html": "<ul><li><a href='/art/1.html'>公告</a><span>2025-04-04</span></li></ul>"}}),
        {"item": "li", "json_path": "data.html", "date": "span"},
        content_type=JSON,
        items=[{"title": "公告", "url": "{base}/art/1.html", "published": "2025-04-04"}],
        fits=True,
    ),
    Case(
        "json-path-not-html",
        json.dumps({"data": {"rows": []}}),
        {"item": "li", "json_path": "data.html"},
        content_type=JSON,
        error=r"json_path 'data\.html' did not lead to an HTML string",
    ),
    Case(
        "one-link-listed-twice-is-one-item",
        _list("<li><a href='/same'>First</a></li>", "<li><a href='/same?utm_source=x'>Again</a></li>"),
        {"item": "li"},
        items=[{"title": "First"}],
    ),
    Case("nothing-matches", _list("<li><a href='/a'>A</a></li>"), {"item": "div.row"}, items=[]),
    Case("invalid-css", _list(), {"item": "ul >"}, config_error=r"key 'item': invalid CSS selector"),
    Case("plain-json-is-not-a-list-page", json.dumps({"results": [{"a": 1}]}), {"item": "li"}, JSON, fits=False),
]

FEED = [
    Case(
        "rss",
        _rss(
            "<item><guid>urn:1</guid><title>MP Materials update</title><link>https://news.example.org/1</link>"
            "<pubDate>Tue, 15 Jul 2025 23:30:00 -0400</pubDate><description>&lt;p&gt;Magnets&lt;/p&gt;</description>"
            "</item>",
            "<item><title>No guid</title><link>https://news.example.org/2?utm_source=rss</link></item>",
        ),
        content_type=RSS,
        items=[
            {"id": "urn:1", "title": "MP Materials update", "published": "2025-07-16T03:30:00Z", "text": "Magnets"},
            {"id": "//news.example.org/2", "title": "No guid", "published": None},
        ],
        fits=True,
    ),
    Case(
        "atom",
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>'
        "<entry><id>tag:sec.gov,2025:1</id><title>8-K</title><link href='https://www.sec.gov/a'/>"
        "<updated>2021-04-16T21:53:26-04:00</updated></entry></feed>",
        content_type="application/atom+xml",
        items=[{"id": "tag:sec.gov,2025:1", "url": "https://www.sec.gov/a", "published": "2021-04-17T01:53:26Z"}],
        fits=True,
    ),
    Case(
        "extra-fields-join-the-text",
        _rss("<item><guid>g</guid><title>T</title><category>Rare earths</category></item>"),
        {"fields": ["category"]},
        content_type=RSS,
        items=[{"text": "Rare earths"}],
    ),
    Case("no-entries-yet", _rss(), content_type=RSS, items=[]),
    Case(
        "an-html-error-page",
        "<html><body>Service temporarily unavailable</body></html>",
        error="not a valid RSS/Atom feed",
        fits=False,
    ),
    Case(
        "external-entity-refused",
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        + _rss("<item><title>&x;</title></item>").split("?>", 1)[1],
        content_type=RSS,
        error=r"feed refused: external XML entity &x;",
    ),
    Case("unknown-option", _rss(), {"selector": "item"}, RSS, config_error=r"unknown key 'selector'"),
]

JSON_CASES = [
    Case(
        "federal-register",
        json.dumps(
            {
                "count": 1,
                "results": [
                    {
                        "document_number": "2025-01234",
                        "title": "Export Administration Regulations: gallium",
                        "html_url": "https://www.federalregister.gov/d/2025-01234",
                        "publication_date": "2025-01-15",
                        "abstract": "BIS amends the EAR.",
                    }
                ],
            }
        ),
        {
            "items": "results",
            "id": "document_number",
            "link": "html_url",
            "date": "publication_date",
            "text": "abstract",
        },
        JSON,
        items=[
            {
                "id": "2025-01234",
                "title": "Export Administration Regulations: gallium",
                "url": "https://www.federalregister.gov/d/2025-01234",
                "published": "2025-01-15",
                "text": "BIS amends the EAR.",
            }
        ],
        fits=True,
    ),
    Case(
        "nested-list-and-a-built-link",
        json.dumps({"data": {"items": [{"headline": "Quarterly report", "path": "/pdf/1.pdf"}]}}),
        {"items": "data.items", "title": "headline", "link": "join('', ['https://asx.example', path])"},
        JSON,
        items=[{"title": "Quarterly report", "url": "https://asx.example/pdf/1.pdf"}],
    ),
    Case("a-search-with-no-hits", json.dumps({"results": None}), {"items": "results"}, JSON, items=[]),
    Case(
        "items-not-a-list",
        json.dumps({"results": {"a": 1}}),
        {"items": "results"},
        JSON,
        error="did not lead to a list",
    ),
    Case(
        "not-json",
        "<html>maintenance</html>",
        {"items": "results"},
        JSON,
        error=r"not valid JSON.*maintenance",
    ),
    Case("invalid-jmespath", "{}", {"items": "results["}, JSON, config_error=r"key 'items': invalid JMESPath"),
    Case("items-is-required", "{}", {}, JSON, config_error=r"key 'items': is required"),
    Case("an-html-page-is-not-json", _list(), {"items": "results"}, error="not valid JSON", fits=False),
]

PAGE = [
    Case(
        "whole-body",
        "<html><head><title>Rules</title><script>var x = 1;</script></head>"
        "<body><h1>Licensing</h1><p>Gallium exports need a licence.</p></body></html>",
        items=[{"title": "Rules", "text": "Licensing\nGallium exports need a licence."}],
        fits=True,
    ),
    Case(
        "selector-and-ignore",
        "<html><body><nav>Home</nav>"
        "<div id='content'><p>Rule one.</p><div class='share'>Share</div></div></body></html>",
        {"selector": "#content", "ignore": [".share"]},
        items=[{"text": "Rule one."}],
    ),
    Case("selector-gone", "<html><body><div id='other'>text</div></body></html>", {"selector": "main"}, items=[]),
    Case(
        "an-empty-element",
        "<html><body><main> </main></body></html>",
        {"selector": "main"},
        error=r"selector 'main' matched an element with no text",
    ),
    Case("plain-text-is-a-document", "Rule one.\nRule two.\n", content_type="text/plain", count=1, fits=True),
    Case(
        "invalid-ignore", "<p>x</p>", {"ignore": ["div >"]}, config_error=r"key 'ignore': invalid CSS selector 'div >'"
    ),
]

TABLES = {"html": HTML, "feed": FEED, "json": JSON_CASES, "page": PAGE}
CASES = [(kind, case) for kind, cases in TABLES.items() for case in cases]


def test_every_kind_has_a_table():
    assert sorted(TABLES) == kind_names()


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_the_kind_declares_itself(kind):
    KindTester(kind).check_declarations()


@pytest.mark.parametrize(("kind", "case"), CASES, ids=[f"{kind}/{case.name}" for kind, case in CASES])
def test_case(site, kind, case):
    KindTester(kind).run(site, case)
