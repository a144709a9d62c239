"""`watcher sources try` on saved responses served from a loopback site, through the CLI."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import FIXTURES

from watcher.config.sources import parse_config
from watcher.extract.suggest import guess_json_fields, json_key, json_outline

SOURCES = FIXTURES / "sources"


def expected(case: Path) -> list[tuple[str, str | None]]:
    data = json.loads((case / "expected.json").read_text("utf-8"))
    items = data["items"] if isinstance(data, dict) else data
    return [(item["title"], item["published"]) for item in items]


def snippet_of(output: str) -> str:
    return output.split("== paste into sources.toml ==\n", 1)[1]


def test_gbk_list_suggests_the_item_selector_and_the_snippet_checks_cleanly(site, project):
    case = FIXTURES / "html" / "gbk-meta-only"
    site.add_fixture("/gk/tzgg/", case)
    project.write_sources("")
    result = project.cli("sources", "try", site.url("/gk/tzgg/"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for line in (
        f"final URL     {site.url('/gk/tzgg/')}",
        "HTTP status   200",
        "content type  text/html",
        "charset       gb18030 (from the <meta> tag or XML declaration)",
        "looks like    html",
    ):
        assert line in out
    assert '1. item = "ul.ky_open_list > li"   4 rows with one link and a date (of 4 matched)   date = "span"' in out
    assert "自然资源部关于公布朱镕基同志题词石刻等保护名录的通知（测试用GBK字：喆、镕）" in out
    assert (
        f"2022-02-22       自然资源部关于下达2022年度稀土矿钨矿开采总量控制指标（第一批）的通知  "
        f"{site.url('/gk/tzgg/202202/t20220222_2729417.html')}" in out
    )
    assert "== page: first lines of the main text" in out

    snippet = snippet_of(out)
    assert snippet.startswith("[[source]]\n")
    assert 'kind = "html"\nitem = "ul.ky_open_list > li"\ndate = "span"' in snippet
    project.write_sources(snippet)  # ready to paste: watcher accepts it and it finds the four notices
    check = project.cli("check")
    assert check.exit_code == 0 and "baseline" in check.stdout


def test_try_writes_no_state(site, project):
    site.add_fixture("/gk/tzgg/", FIXTURES / "html" / "gbk-meta-only")
    project.write_sources("")
    assert project.cli("sources", "try", site.url("/gk/tzgg/")).exit_code == 0
    assert not project.state.exists()


def test_given_item_selector_lists_items_as_json(site, project):
    case = SOURCES / "mnr-tzgg"
    site.add_fixture("/gk/tzgg/", case)
    project.write_sources("")
    result = project.cli(
        "sources",
        "try",
        site.url("/gk/tzgg/"),
        "--item",
        "ul.ky_open_list > li",
        "--date",
        "span",
        "--limit",
        "10",
        "--json",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["status"], data["charset"], data["charset_source"]) == (200, "utf-8", "meta")
    [html, page] = data["sections"]
    assert html["kind"] == "html" and html["total"] == len(expected(case))
    assert [(item["title"], item["published"]) for item in html["items"]] == expected(case)
    assert html["items"][0]["url"] == "http://gi.mnr.gov.cn/202203/t20220304_0000004.html"
    assert html["items"][1]["url"] == site.url("/gk/tzgg/202203/t20220302_0000003.html")  # relative, made absolute
    assert page["kind"] == "page"
    assert 'item = "ul.ky_open_list > li"\ndate = "span"\n' in data["toml"]


@pytest.mark.parametrize("given", [True, False], ids=["json-path", "detected"])
def test_html_inside_json_with_json_path(site, project, given):
    case = SOURCES / "mofcom-policy-releases"
    site.add_fixture("/unit", case)
    project.write_sources("")
    args = ["--json-path", "data.html"] if given else []
    result = project.cli("sources", "try", site.url("/unit"), *args, "--limit", "3")
    assert result.exit_code == 0
    out = result.stdout
    assert "charset       utf-8 (from the Content-Type header)" in out and "looks like    json" in out
    assert '1. item = "ul.txtList_01 > li"   11 rows with one link and a date (of 11 matched)   date = "span"' in out
    assert expected(case)[0][0][:40] in out
    if not given:
        assert "HTML inside JSON at 'data.html': try --json-path data.html" in out
    entry = tomllib.loads(snippet_of(out))["source"][0]
    assert entry["kind"] == "html" and entry["json_path"] == "data.html" and entry["item"] == "ul.txtList_01 > li"


def test_federal_register_json_guesses_items_and_fields(site, project):
    case = SOURCES / "federal-register-bis"
    site.add_fixture("/api/v1/documents.json", case)
    project.write_sources("")
    result = project.cli("sources", "try", site.url("/api/v1/documents.json"), "--json")
    data = json.loads(result.stdout)
    [section] = data["sections"]
    assert section["kind"] == "json"
    assert section["options"] == {
        "items": "results",
        "title": "title",
        "link": "html_url",
        "date": "publication_date",
        "text": ["type", "abstract"],
    }
    assert [(item["title"], item["published"]) for item in section["items"]] == expected(case)
    assert any(line.startswith("top-level: description (string), count (number)") for line in section["lines"])
    entry = tomllib.loads(data["toml"])["source"][0]
    config = parse_config({"source": [entry]}, Path("snippet.toml"))
    assert config.sources[0].options.link == "html_url"


def test_atom_feed_entries_and_declared_latin1(site, project):
    case = SOURCES / "sec-mp-materials-8k"
    site.add_fixture("/cgi-bin/browse-edgar", case)
    project.write_sources("")
    result = project.cli("sources", "try", site.url("/cgi-bin/browse-edgar"), "--limit", "2")
    out = result.stdout
    assert "content type  application/atom+xml" in out and "looks like    feed" in out
    assert "charset       latin-1 (from the <meta> tag or XML declaration)" in out
    assert f"== feed: entries ==\n  {len(expected(case))} items; the first 2:" in out
    assert 'kind = "feed"' in snippet_of(out)


def test_page_kind_shows_the_main_text(site, project):
    site.add_fixture("/rules", FIXTURES / "page" / "rules-page")
    project.write_sources("")
    result = project.cli("sources", "try", site.url("/rules"), "--kind", "page")
    out = result.stdout
    assert "== page: first lines of the main text (#content) ==" in out and "== html" not in out
    assert "Rare earth export licensing: current rules" in out
    assert tomllib.loads(snippet_of(out))["source"][0] == {
        "name": "127-0-0-1-rules",
        "url": site.url("/rules"),
        "kind": "page",
        "selector": "#content",
    }


def test_headers_encoding_and_user_agent_are_sent_and_kept(site, project):
    site.add_fixture("/gk/tzgg/", FIXTURES / "html" / "gbk-meta-only")
    project.write_sources("", settings='user_agent = "watcher-test/1 (ops@example.org)"')
    result = project.cli(
        "sources",
        "try",
        site.url("/gk/tzgg/"),
        "--header",
        "Referer: https://www.mnr.gov.cn/",
        "--encoding",
        "gbk",
        "--item",
        "ul.ky_open_list > li",
    )
    assert result.exit_code == 0
    [hit] = site.hits("/gk/tzgg/")
    assert hit["headers"]["Referer"] == "https://www.mnr.gov.cn/"
    assert hit["headers"]["User-Agent"] == "watcher-test/1 (ops@example.org)"
    assert "charset       gb18030 (forced by --encoding)" in result.stdout
    entry = tomllib.loads(snippet_of(result.stdout))["source"][0]
    assert entry["headers"] == {"Referer": "https://www.mnr.gov.cn/"} and entry["encoding"] == "gbk"


def test_errors_are_messages_with_exit_codes(site, project):
    site.add("/list", "<html><body><ul><li><a href='/a'>A</a> 2025-01-01</li></ul></body></html>")
    project.write_sources("")
    missing = project.cli("sources", "try", site.url("/missing"))
    assert missing.exit_code == 1 and "error: HTTP 404" in missing.output
    bad_header = project.cli("sources", "try", site.url("/list"), "--header", "no colon")
    assert bad_header.exit_code == 2 and "is not 'Name: value'" in bad_header.output
    bad_kind = project.cli("sources", "try", site.url("/list"), "--kind", "rss")
    assert bad_kind.exit_code == 2 and "unknown kind 'rss'" in bad_kind.output
    bad_css = project.cli("sources", "try", site.url("/list"), "--item", "ul >")
    assert bad_css.exit_code == 2 and "--item: invalid CSS selector" in bad_css.output
    not_a_url = project.cli("sources", "try", "notaurl")
    assert not_a_url.exit_code == 2 and "URL: 'notaurl' is not an http(s) URL with a host" in not_a_url.output
    bad_encoding = project.cli("sources", "try", site.url("/list"), "--encoding", "nosuch")
    assert bad_encoding.exit_code == 2 and "--encoding: unknown encoding 'nosuch'" in bad_encoding.output
    for result in (bad_css, not_a_url, bad_encoding):  # the arguments are named, not a [[source]] nobody wrote
        assert "[[source]]" not in result.output and "'try'" not in result.output
        assert "invalid configuration" not in result.output
    not_a_list = project.cli("sources", "try", site.url("/list"))
    assert "no repeated element with one link and a date-looking text; pass --item SELECTOR" in not_a_list.stdout


def test_json_helpers():
    assert json_key("results") == "results" and json_key("content-type") == '"content-type"'
    lists, html = json_outline({"data": {"items": [{"a": 1}] * 3, "html": "<ul><li><a href='x'>t</a></li></ul>" * 2}})
    assert [(found.path, found.length) for found in lists] == [("data.items", 3)] and html == ["data.html"]
    asx = json.loads((SOURCES / "lynas-asx-announcements" / "body.json").read_text("utf-8"))["data"]["items"]
    assert guess_json_fields(asx) == {"title": "headline", "date": "date", "id": "documentKey"}


def test_options_meant_for_html_inside_json(site, project):
    site.add_fixture("/unit", SOURCES / "mofcom-policy-releases")
    site.add_fixture("/fr", SOURCES / "federal-register-bis")
    project.write_sources("")
    css = project.cli("sources", "try", site.url("/unit"), "--item", "ul.txtList_01 > li", "--date", "span")
    assert css.exit_code == 0 and "== html: items matching 'ul.txtList_01 > li' ==" in css.stdout
    assert "== json" not in css.stdout and 'json_path = "data.html"' in snippet_of(css.stdout)
    bad = project.cli("sources", "try", site.url("/fr"), "--item", "results[")
    assert bad.exit_code == 2 and "invalid JMESPath" in bad.output
