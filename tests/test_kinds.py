"""Each kind on saved responses served by a real loopback server, and on broken input."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import FIXTURES

from watcher.config.sources import parse_config
from watcher.core.errors import ExtractError, FetchError
from watcher.extract.registry import make_extractor
from watcher.fetch.http import Fetcher

CASES = sorted(p for kind in ("html", "feed", "json", "page") for p in (FIXTURES / kind).iterdir() if p.is_dir())


def make_source(url: str, options: dict, name: str = "case"):
    entry = {"name": name, "url": url, **options}
    return parse_config({"source": [entry]}, Path("test.toml")).sources[0]


def fetch_and_extract(site, case: Path, path: str | None = None):
    expected = json.loads((case / "expected.json").read_text("utf-8"))
    path = path or expected.get("path", "/" + case.name)
    site.add_fixture(path, case)
    options = tomllib.loads((case / "source.toml").read_text("utf-8"))
    source = make_source(site.url(path), options)
    fetched = Fetcher(user_agent="t", host_interval=0).fetch(source.url)
    return make_extractor(source.kind).extract(fetched, source), expected, fetched


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_extracts_expected_items(site, case):
    items, expected, fetched = fetch_and_extract(site, case)
    base = site.url("")
    if "count" in expected:
        assert len(items) == expected["count"]
    wanted = expected.get("items") or expected.get("first")
    if "items" in expected:
        assert len(items) == len(wanted)
    for item, want in zip(items, wanted, strict=False):
        for key, value in want.items():
            if isinstance(value, str):
                value = value.replace("{base}", base)
            assert getattr(item, key) == value, f"{case.name}: {key}"
    if "charset" in expected:
        assert fetched.charset == expected["charset"]
    assert len({item.id for item in items}) == len(items), "ids are unique within a page"


def test_html_defaults_title_link_date(site):
    site.add(
        "/list",
        """<html><body><div class="news">
      <div class="row"><h3><a href="/n/1.html">Lynas signs offtake</a></h3><p>Posted Oct 9, 2025</p></div>
      <div class="row"><h3><a href="http://other.example/2.html">MP Materials update</a></h3>
        <em>2025年10月8日</em></div>
      <div class="row"><a href="javascript:void(0)">no link</a></div>
      </div></body></html>""",
    )
    source = make_source(site.url("/list"), {"kind": "html", "item": "div.row"})
    fetched = Fetcher(user_agent="t", host_interval=0).fetch(source.url)
    items = make_extractor("html").extract(fetched, source)
    assert [(i.title, i.url, i.published) for i in items] == [
        ("Lynas signs offtake", site.url("/n/1.html"), "2025-10-09"),
        ("MP Materials update", "http://other.example/2.html", "2025-10-08"),
        ("no link", "", None),
    ]
    assert items[0].id == f"//127.0.0.1:{site.port}/n/1.html"
    assert items[2].id.startswith("title:")


def test_html_id_ignores_scheme_and_tracking(site):
    body = '<ul><li><a href="{0}://www.mofcom.gov.cn/art/2025/art_1.html?utm_source=x#top">A</a></li></ul>'
    ids = []
    for scheme in ("http", "https"):
        site.add("/l", body.format(scheme))
        source = make_source(site.url("/l"), {"kind": "html", "item": "li"})
        ids.append(
            make_extractor("html").extract(Fetcher(user_agent="t", host_interval=0).fetch(source.url), source)[0].id
        )
    assert ids[0] == ids[1] == "//www.mofcom.gov.cn/art/2025/art_1.html"


def test_json_path_to_non_string_is_a_clear_error(site):
    site.add("/api", json.dumps({"data": {"rows": []}}), content_type="application/json")
    source = make_source(site.url("/api"), {"kind": "html", "item": "li", "json_path": "data.html"})
    with pytest.raises(ExtractError, match=r"json_path 'data\.html' did not lead to an HTML string"):
        make_extractor("html").extract(Fetcher(user_agent="t", host_interval=0).fetch(source.url), source)


def test_broken_feed_is_an_extract_error(site):
    site.add("/feed", "<html><body>Service temporarily unavailable</body></html>", content_type="text/html")
    source = make_source(site.url("/feed"), {"kind": "feed"})
    with pytest.raises(ExtractError, match="not a valid RSS/Atom feed"):
        make_extractor("feed").extract(Fetcher(user_agent="t", host_interval=0).fetch(source.url), source)


def test_truncated_feed_is_an_error_not_a_partial_read(site):
    """A cut-off feed read leniently looks like a feed whose other items were removed (issue 10.7)."""
    body = (FIXTURES / "feed/rss-news/body.xml").read_bytes()
    cut = body[: body.index(b"<item>", body.index(b"<item>") + 10) + 40]
    site.add("/feed", cut, content_type="application/rss+xml")
    source = make_source(site.url("/feed"), {"kind": "feed"})
    line = cut.count(b"\n") + 1
    with pytest.raises(ExtractError, match=rf"^feed not well-formed at line {line}: "):
        make_extractor("feed").extract(Fetcher(user_agent="t", host_interval=0).fetch(source.url), source)


def test_json_not_json_and_not_a_list(site):
    site.add("/bad", "<html>maintenance</html>", content_type="application/json")
    site.add("/dict", json.dumps({"results": {"a": 1}}), content_type="application/json")
    fetcher = Fetcher(user_agent="t", host_interval=0)
    source = make_source(site.url("/bad"), {"kind": "json", "items": "results"})
    with pytest.raises(ExtractError, match=r"not valid JSON.*maintenance"):
        make_extractor("json").extract(fetcher.fetch(source.url), source)
    source = make_source(site.url("/dict"), {"kind": "json", "items": "results"})
    with pytest.raises(ExtractError, match="did not lead to a list"):
        make_extractor("json").extract(fetcher.fetch(source.url), source)


def test_page_selector_missing_yields_nothing(site):
    site.add("/p", "<html><body><div id='other'>text</div></body></html>")
    source = make_source(site.url("/p"), {"kind": "page", "selector": "main"})
    assert make_extractor("page").extract(Fetcher(user_agent="t", host_interval=0).fetch(source.url), source) == []


def test_empty_body_is_a_fetch_error_before_any_extractor(site):
    site.add("/empty", "")
    with pytest.raises(FetchError, match=r"empty body \(HTTP 200, 0 bytes\)") as caught:
        Fetcher(user_agent="t", host_interval=0).fetch(site.url("/empty"))
    assert caught.value.reason == "empty"


def test_contains_selector_works_on_every_page(site):
    site.add(
        "/l", "<html><body><ul><li><a href='/a'>稀土 出口管制</a></li><li><a href='/b'>其他</a></li></ul></body></html>"
    )
    source = make_source(site.url("/l"), {"kind": "html", "item": "li:contains('稀土')"})
    fetcher = Fetcher(user_agent="t", host_interval=0)
    for _ in range(3):  # lxml's own :contains() translation failed on every second document
        items = make_extractor("html").extract(fetcher.fetch(source.url), source)
        assert [item.title for item in items] == ["稀土 出口管制"]


def test_link_fast_paths_agree_with_urljoin():
    from urllib.parse import urljoin

    from watcher.extract.markup import absolute, canonical_id

    bases = ["http://127.0.0.1:8765/list.html", "https://www.MOFCOM.gov.cn/zwgk/zcfb/index.html", "http://x.org"]
    hrefs = [
        "/art/2025/art_1.html",
        "http://Www.X.org:80/a",
        "https://x.org:443/b/c",
        "https://x.org:8443/b",
        "/",
        "/./x",
        "/a/../b",
        "http://x.org",
        "HTTP://X.ORG/A",
        "./t20220130_1.html",
        "../up.html",
        "?page=2",
    ]
    for base in bases:
        for href in hrefs:
            expected = urljoin(base, href)
            assert absolute(base, href) == expected, (base, href)
    assert (
        canonical_id("https://Www.X.org:443/a/b.html")
        == canonical_id("http://www.x.org/a/b.html")
        == "//www.x.org/a/b.html"
    )
    assert canonical_id("http://x.org:8080/a?utm_source=x&id=3#top") == "//x.org:8080/a?id=3"
