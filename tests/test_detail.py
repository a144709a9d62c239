"""Detail pages through the real pipeline: a loopback list, its announcement pages, and SQLite state."""

from __future__ import annotations

import itertools
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from conftest import FIXTURES, source_entry

from watcher.config.sources import load_config, parse_config
from watcher.core.errors import ConfigError
from watcher.extract.detail import DetailReader, followed_link, merge_text, next_hop
from watcher.extract.maintext import extract_main_text, largest_block
from watcher.extract.markup import parse_html
from watcher.fetch.charset import decode
from watcher.pipeline.check import check_source
from watcher.pipeline.wiring import build_pipeline
from watcher.store import Store

DETAIL = FIXTURES / "detail"
MOFCOM_18 = "/zwgk/zcfb/art/2025/art_9c2108ccaf754f22a34abab2fedaa944.html"
MIIT_25 = "/jgsj/ycls/wjfb/art/2024/art_00000000000000000000000000240206.html"
MNR_38 = "/gk/tzgg/202202/t20220222_2729417.html"


def rows(*entries: tuple[str, str, str]) -> str:
    """A MOFCOM-style list (jpaas markup) of (path, title, date) rows."""
    lis = "".join(
        f'<li><a href="{path}" title="{title}" target="_blank">{title[:12]}…</a><span>[{date}]</span></li>'
        for path, title, date in entries
    )
    return (
        f'<html><body><div class="nav"><a href="/">首页</a><a href="/zcfb/">政策发布</a></div>'
        f'<ul class="txtList_01">{lis}</ul><div class="pagination" rows="15" pageNo="1"></div></body></html>'
    )


OLD = ("/zwgk/zcfb/art/2025/art_000000000000000000000000000000a1.html", "商务部公告2025年第10号 旧公告", "2025-02-04")
NO18 = (MOFCOM_18, "商务部 海关总署公告2025年第18号 公布对部分中重稀土相关物项实施出口管制的决定", "2025-04-04")


class Env:
    """A state directory and a pipeline built by `watcher.pipeline.wiring.build_pipeline`, as `watcher check` does."""

    def __init__(self, site, tmp_path: Path) -> None:
        self.site = site
        self.store = Store.open(tmp_path / "state")

    def configure(self, host_interval: float = 0.0, **extra: object) -> None:
        entry = {
            "name": "mofcom",
            "url": self.site.url("/list"),
            "kind": "html",
            "item": "ul.txtList_01 > li",
            "date": "span",
            "retries": 0,
            "detail": {"selector": "div.art-con", "max": 5},
            **extra,
        }
        entry = {key: value for key, value in entry.items() if value is not None}  # None: drop the default key
        config = parse_config({"settings": {"host_interval": host_interval}, "source": [entry]}, Path("t.toml"))
        self.source = config.sources[0]
        self.pipeline = build_pipeline(config, self.store)

    def check(self):
        return check_source(self.source, self.pipeline)

    def stored(self, table: str, item_path: str) -> str:
        sql = f"SELECT text FROM {table} WHERE item_id = ?"
        found = self.store.db.execute(sql, [f"//127.0.0.1:{self.site.port}{item_path}"]).fetchall()
        return found[-1][0] if found else ""


@pytest.fixture
def env(site, tmp_path):
    environment = Env(site, tmp_path)
    yield environment
    environment.store.close()


def serve(site, path: str, case: str, content_type: str = "text/html; charset=utf-8") -> None:
    site.add(path, (DETAIL / case / "body.html").read_bytes(), content_type=content_type)


def test_new_announcement_gets_its_detail_text_once_and_the_stored_list_item_is_untouched(site, env):
    listing = site.add("/list", rows(OLD))
    serve(site, MOFCOM_18, "mofcom-announcement")
    env.configure(headers={"Referer": site.url("/zcfb/index.html")}, user_agent="watcher-test/1 (ops@example.org)")
    assert env.check().status == "baseline"

    listing.set_body(rows(NO18, OLD).encode())
    result = env.check()
    assert result.status == "ok"
    [change] = result.changes
    assert change.change == "new" and change.item.title == NO18[1] and change.item.published == "2025-04-04"
    for expected in (
        "【发布单位】安全与管制局",
        "【发布文号】商务部 海关总署公告2025年第18号",
        "【发文日期】2025年04月04日",
        "1C902.a 金属钐",
        "2805301910",
    ):
        assert expected in change.item.text
    assert "京ICP备" not in change.item.text and "分享到" not in change.item.text  # only the selected body
    assert "2805301910" in env.stored("changes", MOFCOM_18)  # what history and alerts read
    assert "2805301910" not in env.stored("items", MOFCOM_18)  # the diff keeps comparing list rows

    [hit] = site.hits(MOFCOM_18)
    assert hit["headers"]["Referer"] == site.url("/zcfb/index.html")
    assert hit["headers"]["User-Agent"] == "watcher-test/1 (ops@example.org)"

    listing.set_body(rows(NO18, OLD).encode() + b"<!-- edited -->")
    again = env.check()
    assert again.status == "ok" and again.changes == [] and len(site.hits(MOFCOM_18)) == 1


@pytest.mark.parametrize("detail", [{"selector": "#con_con"}, True], ids=["selector", "automatic"])
def test_miit_quota_notice_figures_reach_the_change(site, env, detail):
    title = "工业和信息化部 自然资源部关于下达2024年第一批稀土开采、冶炼分离总量控制指标的通知"
    site.add("/list", rows((MIIT_25, title, "2024-02-06")))
    serve(site, MIIT_25, "miit-quota-notice")
    env.configure(detail=detail, baseline=False)
    [change] = env.check().changes
    assert change.item.title == title
    assert "分别为135000吨、127000吨" in change.item.text and "工信部联原〔2024〕25号" in change.item.text
    assert "京ICP备" not in change.item.text


def test_gbk_detail_page_declared_only_in_meta(site, env):
    title = "自然资源部关于下达2022年度稀土矿钨矿开采总量控制指标（第一批）的通知"
    site.add("/list", rows((MNR_38, title, "2022-02-22")))
    serve(site, MNR_38, "mnr-gbk-notice", content_type="text/html")  # no charset in the header
    env.configure(detail={"selector": "#content1, #doccon"}, baseline=False)
    [change] = env.check().changes
    assert "开采总量控制指标100800吨" in change.item.text and "喆、镕" in change.item.text


def test_at_most_max_detail_pages_newest_first(site, env):
    entries = [(f"/art/{n}.html", f"公告第{n}号", f"2025-0{n}-01") for n in (2, 4, 1, 3)]  # not in date order
    site.add("/list", rows(*entries))
    for n in range(1, 5):
        site.add(f"/art/{n}.html", f'<html><body><div class="art-con"><p>第{n}号正文：指标{n}000吨</p></div></body>')
    env.configure(detail={"max": 2, "selector": "div.art-con"}, baseline=False)
    result = env.check()
    assert result.status == "ok" and len(result.changes) == 4
    texts = {change.item.title: change.item.text for change in result.changes}
    assert "指标4000吨" in texts["公告第4号"] and "指标3000吨" in texts["公告第3号"]
    assert "正文" not in texts["公告第2号"] and "正文" not in texts["公告第1号"]  # kept as listed
    assert [len(site.hits(f"/art/{n}.html")) for n in range(1, 5)] == [0, 0, 1, 1]


def test_failing_detail_page_keeps_the_check_ok_and_the_list_item(site, env, caplog):
    site.add("/list", rows(NO18, OLD))
    site.add(MOFCOM_18, "server error", status=500, content_type="text/plain")
    site.add(OLD[0], b"%PDF-1.4 ...", content_type="application/pdf")
    env.configure(baseline=False)
    with caplog.at_level(logging.INFO, logger="watcher.extract.detail"):
        result = env.check()
    assert result.status == "ok" and result.error is None and len(result.changes) == 2
    assert [change.item.text for change in result.changes] == [
        f"{NO18[1][:12]}…[{NO18[2]}]",
        f"{OLD[1][:12]}…[{OLD[2]}]",
    ]
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert any("HTTP 500" in record.getMessage() and record.detail_url.endswith(MOFCOM_18) for record in warnings)
    assert any("not an HTML page" in record.getMessage() for record in warnings)


def test_detail_fetches_respect_the_per_host_spacing(site, env):
    entries = [(f"/art/{n}.html", f"公告第{n}号", f"2025-01-0{n}") for n in (1, 2, 3)]
    site.add("/list", rows(*entries))
    for n in (1, 2, 3):
        site.add(f"/art/{n}.html", f'<html><body><div class="art-con"><p>第{n}号正文</p></div></body></html>')
    env.configure(host_interval=0.5, baseline=False)
    assert env.check().status == "ok"
    times = sorted(request["time"] for request in site.requests)
    assert len(times) == 4  # the list and three detail pages
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # slots are 0.5 s apart; a loaded machine may send one a little late (without spacing: a few ms)
    assert min(gaps) >= 0.35, gaps


def test_js_redirect_is_followed_once(site, env, caplog):
    site.add("/list", rows(NO18))
    site.add(
        MOFCOM_18,
        "<html><head><script>window.location.href='/zwgk/zcfb/art/2025/real.html';</script></head><body></body></html>",
    )
    serve(site, "/zwgk/zcfb/art/2025/real.html", "mofcom-announcement")
    env.configure(baseline=False)
    with caplog.at_level(logging.INFO, logger="watcher.extract.detail"):
        [change] = env.check().changes
    assert "2805301910" in change.item.text
    assert len(site.hits("/zwgk/zcfb/art/2025/real.html")) == 1
    assert any("following it once" in record.getMessage() for record in caplog.records)
    assert any("characters by selector" in record.getMessage() for record in caplog.records)


def test_iframe_inside_the_body_is_followed(site, env):
    site.add("/list", rows(NO18))
    site.add(MOFCOM_18, '<html><body><div class="art-con"><iframe src="/frame/18.html"></iframe></div></body></html>')
    serve(site, "/frame/18.html", "mofcom-announcement")
    env.configure(baseline=False)
    [change] = env.check().changes
    assert "1C902.a" in change.item.text


def test_redirect_loops_stop_after_one_hop(site, env):
    site.add("/list", rows(NO18))
    site.add(MOFCOM_18, f"<script>window.location.href='{MOFCOM_18}?again';</script>")
    env.configure(baseline=False)
    [change] = env.check().changes
    assert change.item.text == f"{NO18[1][:12]}…[{NO18[2]}]"
    assert [request["path"] for request in site.requests] == ["/list", MOFCOM_18, f"{MOFCOM_18}?again"]


def test_check_json_then_history_carry_the_detail_text(site, project):
    listing = site.add("/list", rows(OLD))
    serve(site, MIIT_25, "miit-quota-notice")
    project.write_sources(
        source_entry(
            "miit-ycls",
            site.url("/list"),
            item="ul.txtList_01 > li",
            date="span",
            detail={"selector": "#con_con", "max": 3},
        )
    )
    assert project.cli("check", "--json").stdout == ""

    title = "工业和信息化部 自然资源部关于下达2024年第一批稀土开采、冶炼分离总量控制指标的通知"
    listing.set_body(rows((MIIT_25, title, "2024-02-06"), OLD).encode())
    result = project.cli("--log-level", "info", "check", "--json", "--no-notify")
    assert result.exit_code == 0
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["change"] == "new" and line["title"] == title and line["url"] == site.url(MIIT_25)
    assert "detail " in result.stderr and "characters by selector" in result.stderr
    with sqlite3.connect(project.state / "watcher.db") as db:
        [(text,)] = db.execute("SELECT text FROM changes WHERE change = 'new'").fetchall()
    assert "分别为135000吨、127000吨" in text


# --- the extraction itself, on the saved pages ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "where", "figure"),
    [
        ("mofcom-announcement", "div.art-con.art-con-bottonmLine", "2805301910"),
        ("miit-quota-notice", "#con_con", "135000吨"),
        ("mnr-gbk-notice", "#content1 div.TRS_Editor", "100800吨"),
    ],
)
def test_text_block_heuristic_finds_the_body_without_trafilatura(case, where, figure):
    html = decode((DETAIL / case / "body.html").read_bytes(), "text/html").text
    main = extract_main_text(html, article=False)
    assert main.method == "blocks" and main.where == where and figure in main.text
    assert "首页" not in main.text and "京ICP备" not in main.text


def test_heuristic_prefers_prose_to_a_long_link_list():
    links = "".join(f'<li><a href="/n/{n}">一条很长很长的相关链接标题第{n}条新闻</a></li>' for n in range(40))
    html = (
        f'<html><body><div id="side"><ul>{links}</ul></div>'
        '<div id="main"><p>正文第一段，说明指标为135000吨。</p>'
        "<p>正文第二段，说明分解情况见附件一，由两家集团执行。</p></div>"
        "</body></html>"
    )
    assert largest_block(parse_html(html)).get("id") == "main"


def test_selector_that_matches_nothing_falls_back_to_automatic_extraction():
    html = (DETAIL / "miit-quota-notice" / "body.html").read_text("utf-8")
    main = extract_main_text(html, "div.art-con", article=False)
    assert main.method == "blocks" and "135000吨" in main.text


def test_detail_text_is_capped():
    paragraphs = "".join(f"<p>第{n}段，指标{n}吨。</p>" for n in range(5000))
    html = f"<html><body><div id='c'>{paragraphs}</div></body></html>"
    main = extract_main_text(html, "#c", cap=1000)
    assert len(main.text) <= 1002 and main.text.endswith("…")
    assert DetailReader().cap == 20_000


def test_next_hop_forms_and_merge():
    base = "http://www.mofcom.gov.cn/zwgk/zcfb/art/2025/a.html"
    assert next_hop("<script>window.location.href = 'b.html'</script>", base).endswith("/art/2025/b.html")
    assert next_hop('<script>location.replace("/x.html")</script>', base) == "http://www.mofcom.gov.cn/x.html"
    assert next_hop('<meta http-equiv="refresh" content="0; url=/y.html">', base) == "http://www.mofcom.gov.cn/y.html"
    assert next_hop("<p>nothing here</p>", base) is None
    assert merge_text("标题 [2025-04-04]", "正文") == "标题 [2025-04-04]\n正文"
    assert merge_text("正文", "正文全文") == "正文全文"


# --- follow: an EDGAR filing index -> its EX-99.1 press release -----------------------------------------------

EDGAR_INDEX = "/Archives/edgar/data/1801368/000119312525157310/0001193125-25-157310-index.htm"
EX_99_1 = "/Archives/edgar/data/1801368/000119312525157310/d43796dex991.htm"
SHIPPED_SEC = next(
    source
    for source in load_config(Path(__file__).parent.parent / "sources.toml").sources
    if source.name == "sec-mp-materials-8k"
)


def edgar_feed(site, newest: bool = True) -> bytes:
    """The MP Materials 8-K Atom snapshot pointing at the loopback site; without its newest entry if asked."""
    xml = (FIXTURES / "sources" / "sec-mp-materials-8k" / "body.xml").read_text("latin-1")
    xml = xml.replace("https://www.sec.gov", site.url(""))
    if not newest:
        first = xml.index("<entry>")
        xml = xml[:first] + xml[xml.index("<entry>", first + 1) :]
    return xml.encode("latin-1")


def serve_edgar_filing(site) -> None:
    serve(site, EDGAR_INDEX, "edgar-8k-index")
    serve(site, EX_99_1, "edgar-ex99-press-release")
    for other in ("d43796d8k.htm", "d43796dex101.htm", "d43796dex105.htm"):
        site.add(f"/Archives/edgar/data/1801368/000119312525157310/{other}", "<html><body>not this</body></html>")


def test_shipped_sec_entries_follow_the_ex_99_1_link_of_the_filing_index():
    sec = [
        source
        for source in load_config(Path(__file__).parent.parent / "sources.toml").sources
        if source.host.endswith("sec.gov") and "8-K" in source.url and "getcompany" in source.url
    ]
    assert sec and all(
        source.detail is not None and source.detail.follow == SHIPPED_SEC.detail.follow for source in sec
    )
    html = (DETAIL / "edgar-8k-index" / "body.html").read_text("utf-8")
    base = "https://www.sec.gov" + EDGAR_INDEX
    assert followed_link(html, base, SHIPPED_SEC.detail.follow) == "https://www.sec.gov" + EX_99_1


def test_8k_entry_reads_the_press_release_behind_its_index_page(site, env, caplog):
    feed = site.add("/feed", edgar_feed(site, newest=False), content_type="application/atom+xml")
    serve_edgar_filing(site)
    env.configure(
        kind="feed", url=site.url("/feed"), item=None, date=None, detail={"follow": SHIPPED_SEC.detail.follow, "max": 3}
    )
    assert env.check().status == "baseline"  # the 8-K of 2024-11-01 only

    feed.set_body(edgar_feed(site))  # the 8-K of 2025-07-10 appears
    with caplog.at_level(logging.INFO, logger="watcher.extract.detail"):
        result = env.check()
    [change] = result.changes
    assert change.change == "new" and change.item.title.startswith("8-K")
    text = change.item.text
    for expected in (
        "Transformational Public-Private Partnership with the Department of Defense",
        "$400 million",
        "$150 million loan",
        "price floor commitment of $110 per kilogram",
        "100% of the magnets",
    ):
        assert expected in text, expected
    assert "Document Format Files" not in text and "not this" not in text
    assert len(site.hits(EDGAR_INDEX)) == 1 and len(site.hits(EX_99_1)) == 1
    assert site.hits("/Archives/edgar/data/1801368/000119312525157310/d43796dex101.htm") == []
    assert any("reading that page" in record.getMessage() for record in caplog.records)


def test_follow_without_a_matching_link_reads_the_page_itself(site, env, caplog):
    title = "工业和信息化部 自然资源部关于下达2024年第一批稀土开采、冶炼分离总量控制指标的通知"
    site.add("/list", rows((MIIT_25, title, "2024-02-06")))
    serve(site, MIIT_25, "miit-quota-notice")
    env.configure(detail={"selector": "#con_con", "follow": "table.tableFile a[href]"}, baseline=False)
    with caplog.at_level(logging.INFO, logger="watcher.extract.detail"):
        [change] = env.check().changes
    assert "分别为135000吨、127000吨" in change.item.text
    assert [request["path"] for request in site.requests] == ["/list", MIIT_25]
    assert any("no link matching follow" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("document", "description"),
    [("q1fy27exhibit991er.htm", "EX-99.1"), ("ex99-1.htm", "PRESS RELEASE"), ("release.htm", "EXHIBIT 99.1")],
)
def test_follow_selector_goes_by_the_type_cell_not_the_file_name(document, description):
    folder = "/Archives/edgar/data/1/000000000025000001/"
    html = (
        '<table class="tableFile" summary="Document Format Files">'
        "<tr><th>Seq</th><th>Description</th><th>Document</th><th>Type</th><th>Size</th></tr>"
        f'<tr><td scope="row">1</td><td scope="row">8-K</td><td scope="row"><a href="/ix?doc={folder}x8k.htm">'
        'x8k.htm</a> &nbsp;&nbsp;<span style="color: green">iXBRL</span></td><td scope="row">8-K</td>'
        '<td scope="row">1</td></tr>'
        f'<tr class="evenRow"><td scope="row">2</td><td scope="row">{description}</td><td scope="row">'
        f'<a href="{folder}{document}">{document}</a></td><td scope="row">EX-99.1</td><td scope="row">2</td></tr>'
        "</table>"
    )
    assert followed_link(html, "https://www.sec.gov" + folder + "i.htm", SHIPPED_SEC.detail.follow) == (
        "https://www.sec.gov" + folder + document
    )


def test_invalid_follow_selector_is_a_configuration_error():
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "source": [
                    {"name": "sec", "url": "https://www.sec.gov/x", "kind": "feed", "detail": {"follow": "table[["}}
                ]
            },
            Path("s.toml"),
        )
    assert "'sec'" in str(caught.value) and "follow" in str(caught.value)
