"""Untrusted pages can neither reach inside nor make watcher read what they point at (issue 17).

Everything runs on loopback servers, so "the source's own url is on loopback" is the normal situation here:
refusal is proven with another port or another name of 127.0.0.1 (a different site), and with invented names
that the Fetcher's resolver hook maps to addresses, which shows that the check is on the address connected
to, not on the URL's text.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from conftest import source_entry
from loopback import Site

from watcher.config.sources import parse_config
from watcher.core.errors import FetchError
from watcher.core.hosts import HostPattern
from watcher.extract.detail import DetailReader
from watcher.extract.kinds.feed import _feedparser
from watcher.fetch.guard import system_resolver
from watcher.fetch.http import Fetcher
from watcher.fetch.reach import Reach, internal_kind, same_site
from watcher.pipeline.check import check_source
from watcher.pipeline.wiring import build_pipeline
from watcher.store import Store

SECRET = "AccessKeyId TOPSECRETKEY123"
CONTROL = "商务部公告2025年第61号 公布对境外相关稀土物项实施出口管制的决定"


@pytest.fixture
def inside():
    """A second server: the 'instance-metadata service' or intranet page no stranger may make watcher read."""
    server = Site()
    server.add("/latest/meta-data/iam/credentials", SECRET, content_type="text/plain")
    server.add("/hostname", "internal-host-name", content_type="text/plain")
    yield server
    server.close()


def resolver(table: dict[str, list[str]]):
    """Invented names resolve through the table; anything else through the system."""
    return lambda host, port: table[host] if host in table else system_resolver(host, port)


def feed(*items: tuple[str, str], doctype: str = "") -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Thu, 09 Oct 2025 08:00:00 +0800</pubDate></item>"
        for title, link in items
    )
    return f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><title>News</title>{entries}</channel></rss>'


# --- the rules, as tables --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "other", "same"),
    [
        ("www.mofcom.gov.cn", "fms.mofcom.gov.cn", True),  # one registrable domain
        ("www.mofcom.gov.cn", "www.miit.gov.cn", False),  # gov.cn is a public suffix
        ("efts.sec.gov", "WWW.SEC.GOV.", True),
        ("alice.github.io", "bob.github.io", False),  # a private suffix of the list counts too
        ("localhost", "localhost", True),
        ("localhost", "evil.localhost", False),
        ("127.0.0.1", "localhost", False),  # an address is the same site only as the same address
        ("127.0.0.1", "127.0.0.2", False),
        ("::1", "[::1]", True),
    ],
)
def test_same_site(host, other, same):
    assert same_site(host, other) is same


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.10.1", "link-local"),
        ("::1", "loopback"),
        ("fd12:3456::1", "unique-local"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("64:ff9b::a9fe:a9fe", "cloud metadata"),  # NAT64 of 169.254.169.254
        ("0.0.0.0", "reserved"),
        ("100.64.0.1", "non-public"),
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
    ],
)
def test_internal_addresses(address, kind):
    assert internal_kind(address) == kind


def test_site_rule_ports_patterns_and_schemes():
    reach = Reach.of("http://www.sec.gov/cgi-bin/browse", hosts=("*.edgar-online.com", "filings.example.org:8443"))
    assert reach.check("https://efts.sec.gov/LATEST/search") == ("efts.sec.gov", 443)  # http -> https is fine
    assert reach.check("https://edgar-online.com/a")[0] == "edgar-online.com"
    assert reach.check("https://x.edgar-online.com/a")[0] == "x.edgar-online.com"
    assert reach.check("https://filings.example.org:8443/a")[1] == 8443
    for refused in (
        "http://www.sec.gov:8080/",  # another port of the same host is another service
        "https://filings.example.org/a",  # listed with a port: only that port
        "http://sec.gov.evil.example/",
        "file:///etc/passwd",
        "ftp://www.sec.gov/x",
    ):
        with pytest.raises(FetchError) as caught:
            reach.check(refused)
        assert caught.value.reason == "refused"
    assert str(HostPattern.parse("*")) == "*" and HostPattern.parse("*").matches("any.example", 443)
    with pytest.raises(ValueError, match="not a host pattern"):
        HostPattern.parse("http://example.org/")


# --- the address is checked where the connection goes ------------------------------------------------------


def test_the_check_is_on_the_resolved_address_not_on_the_url(site):
    site.add("/page", "hello")
    origin = site.url("/")
    link = f"http://cdn.test:{site.port}/page"  # the same URL text each time
    reach = Reach.of(origin, hosts=(f"cdn.test:{site.port}",))

    fetched = Fetcher(user_agent="t", host_interval=0, resolver=resolver({"cdn.test": ["127.0.0.1"]})).fetch(
        link, reach=reach, retries=0
    )
    assert fetched.content == b"hello"  # it resolves to where the source itself is: allowed

    for address, kind in (("127.0.0.2", "loopback"), ("169.254.169.254", "cloud metadata"), ("10.0.0.5", "private")):
        fetcher = Fetcher(user_agent="t", host_interval=0, resolver=resolver({"cdn.test": [address]}))
        with pytest.raises(FetchError, match=rf"cdn\.test:{site.port} is at {address}, a {kind} address: refused"):
            fetcher.fetch(link, reach=reach, retries=0)
    assert len(site.hits("/page")) == 1


def test_a_name_resolving_to_loopback_on_another_port_is_refused_even_when_listed(site, inside):
    reach = Reach.of(site.url("/"), hosts=(f"evil.test:{inside.port}",))
    fetcher = Fetcher(user_agent="t", host_interval=0, resolver=resolver({"evil.test": ["127.0.0.1"]}))
    with pytest.raises(FetchError, match=rf"evil\.test:{inside.port} is at 127\.0\.0\.1, a loopback address"):
        fetcher.fetch(f"http://evil.test:{inside.port}/latest/meta-data/iam/credentials", reach=reach, retries=0)
    assert inside.requests == []


def test_a_kept_alive_connection_is_checked_again_under_another_sources_rule(site):
    site.add("/p", "x")
    fetcher = Fetcher(user_agent="t", host_interval=0)
    fetcher.fetch(site.url("/p"))  # a source on this address: its connection stays in the pool
    stranger = Reach.of("http://news.example.org/", hosts=(f"127.0.0.1:{site.port}",))
    with pytest.raises(FetchError, match=rf"127\.0\.0\.1:{site.port} is a loopback address: refused"):
        fetcher.fetch(site.url("/p"), reach=stranger, retries=0)
    assert len(site.hits("/p")) == 1


def test_redirects_are_checked_on_every_hop(site, inside):
    site.add("/go", redirect_to=f"http://localhost:{inside.port}/latest/meta-data/iam/credentials")
    site.add("/hop", redirect_to="/go")
    fetcher = Fetcher(user_agent="t", host_interval=0)
    with pytest.raises(FetchError, match=rf"redirect to localhost:{inside.port} refused: not the source's site"):
        fetcher.fetch(site.url("/hop"))
    assert inside.requests == [] and len(site.hits("/go")) == 1


def test_an_external_page_redirecting_to_loopback_is_refused_after_dns(site, inside):
    """mirror.test is another site the source lists; its page redirects inside. Both the site rule and the
    address rule hold on that redirect."""
    site.add("/article", redirect_to=f"http://meta.test:{inside.port}/latest/meta-data/iam/credentials")
    site.add("/article2", redirect_to=f"http://localhost:{inside.port}/latest/meta-data/iam/credentials")
    reach = Reach.of(site.url("/feed"), hosts=(f"mirror.test:{site.port}", f"*.test:{inside.port}"))
    names = {"mirror.test": ["127.0.0.1"], "meta.test": ["127.0.0.1"]}
    fetcher = Fetcher(user_agent="t", host_interval=0, resolver=resolver(names))
    with pytest.raises(FetchError, match=rf"meta\.test:{inside.port} is at 127\.0\.0\.1, a loopback address"):
        fetcher.fetch(f"http://mirror.test:{site.port}/article", reach=reach, retries=0)
    with pytest.raises(FetchError, match=rf"redirect to localhost:{inside.port} refused"):
        fetcher.fetch(f"http://mirror.test:{site.port}/article2", reach=reach, retries=0)
    assert inside.requests == []


# --- links found in pages: the reported attack, through the CLI -------------------------------------------


def alerts_to(project, site) -> None:
    hook = site.url("/hook").replace("http://", "json://")
    (project.alerts / "apprise.yml").write_text(f"version: 1\nurls:\n  - {hook}:\n      - tag: procurement\n")
    (project.alerts / "routes.toml").write_text(
        '[delivery]\nbackoff = "0s"\n[[route]]\nlabels = ["quota", "export_control", "enforcement", "deal"]\n'
        'tags = ["procurement"]\n'
    )


def test_a_feed_item_linking_to_the_metadata_service_is_not_fetched_and_nothing_leaks(site, inside, project):
    alerts_to(project, site)
    news = site.add("/feed", feed(("Lynas quarterly report", site.url("/a/1"))), content_type="application/rss+xml")
    project.write_sources(source_entry("news", site.url("/feed"), kind="feed", detail=True, official=True))
    assert project.cli("check").exit_code == 0  # baseline
    stolen = f"http://localhost:{inside.port}/latest/meta-data/iam/credentials"
    news.set_body(feed((CONTROL, stolen), ("Lynas quarterly report", site.url("/a/1"))).encode())

    result = project.cli("check")
    assert result.exit_code == 0
    assert inside.requests == []  # before: fetched, and the alert carried the AccessKeyId
    (alert,) = site.received("/hook")
    assert "TOPSECRET" not in json.dumps(alert)
    assert "No. 61 of 2025" in alert["title"] and "商务部公告2025年第61号" in alert["message"]  # the original title
    refusals = [line for line in result.stderr.splitlines() if "refused" in line]
    assert len(refusals) == 1 and f"localhost:{inside.port} refused: not the source's site" in refusals[0]
    assert "keeping the list item" in refusals[0]


@pytest.mark.parametrize(
    ("page", "hop"),
    [
        ("<html><body><script>window.location.href='{url}';</script></body></html>", "js redirect"),
        ('<html><head><meta http-equiv="refresh" content="0;url={url}"></head><body></body></html>', "refresh"),
        ('<html><body><iframe src="{url}"></iframe></body></html>', "iframe"),
        ('<html><body><a class="doc" href="{url}">EX-99.1</a></body></html>', "follow"),
    ],
)
def test_links_inside_a_detail_page_stay_on_the_site(site, inside, tmp_path, caplog, page, hop):
    target = f"http://127.0.0.1:{inside.port}/latest/meta-data/iam/credentials"  # same address, another port
    site.add("/list", f'<ul class="l"><li><a href="/n/1.html">{CONTROL}</a></li></ul>')
    site.add("/n/1.html", page.format(url=target))
    store = Store.open(tmp_path / "state")
    detail = {"follow": "a.doc"} if hop == "follow" else {}
    entry = {"name": "ministry", "url": site.url("/list"), "kind": "html", "item": "ul.l > li", "detail": detail}
    config = parse_config({"settings": {"host_interval": 0}, "source": [{**entry, "baseline": False}]}, Path("t"))
    pipeline = build_pipeline(config, store)
    result = check_source(config.sources[0], pipeline)
    store.close()
    assert result.status == "ok" and inside.requests == []
    (change,) = result.changes
    assert SECRET not in change.item.text and change.item.title.startswith("商务部公告")
    assert f"127.0.0.1:{inside.port} refused: not the source's site" in caplog.text


def test_detail_hosts_lets_a_source_read_another_site_it_names(site, tmp_path):
    """A source whose items live on another site lists it; the address rule still holds for that site."""
    site.add("/feed", feed((CONTROL, f"http://docs.test:{site.port}/n/1.html")), content_type="application/rss+xml")
    site.add("/n/1.html", "<html><body><div class='art'>" + "商务部公告 第61号 正文。" * 30 + "</div></body></html>")
    entry = {"name": "news", "url": site.url("/feed"), "kind": "feed", "baseline": False}
    fetcher = Fetcher(user_agent="t", host_interval=0, resolver=resolver({"docs.test": ["127.0.0.1"]}))
    for hosts, read in (([], False), ([f"docs.test:{site.port}"], True)):
        config = parse_config({"source": [{**entry, "detail": {"hosts": hosts, "selector": "div.art"}}]}, Path("t"))
        (change,) = DetailReader(article=False)(
            [_new(config.sources[0], site)], config.sources[0], fetcher
        )  # the pipeline's enricher, given the test's resolver
        assert ("正文" in change.item.text) is read


def _new(source, site):
    from watcher.core.models import Change, Item

    return Change(source.name, "new", Item(id="1", title=CONTROL, url=f"http://docs.test:{site.port}/n/1.html"))


def test_an_intranet_page_watched_on_purpose_still_works_with_its_detail_pages(site, project):
    """The source's url is on 127.0.0.1: its own address and port are its site, detail pages included."""
    alerts_to(project, site)
    site.add("/list", f'<ul class="l"><li><a href="/n/2.html">{CONTROL}</a></li></ul>')
    site.add("/n/2.html", "<html><body><div class='art'>" + "稀土出口管制物项清单。" * 30 + "</div></body></html>")
    project.write_sources(
        source_entry("intranet", site.url("/list"), item="ul.l > li", baseline=False, detail={"selector": "div.art"})
    )
    result = project.cli("check")
    assert "intranet  ok" in result.output
    (alert,) = site.received("/hook")
    assert "No. 61 of 2025" in alert["title"]
    with sqlite3.connect(project.state / "watcher.db") as db:  # the detail page's text was read into the change
        (text,) = db.execute("SELECT text FROM changes WHERE source = 'intranet'").fetchone()
    assert "稀土出口管制物项清单" in text


# --- XML that cannot reach out ----------------------------------------------------------------------------


def test_a_feed_with_external_entities_yields_neither_the_file_nor_a_request(site, inside, project):
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "no-such-text"
    doctype = (
        f'\n<!DOCTYPE rss [\n<!ENTITY file SYSTEM "file:///etc/hostname">\n'
        f'<!ENTITY web SYSTEM "http://127.0.0.1:{inside.port}/hostname">\n]>\n'
    )
    site.add("/feed", feed(("&file; &web;", site.url("/a/1")), doctype=doctype), content_type="application/rss+xml")
    project.write_sources(source_entry("xxe", site.url("/feed"), kind="feed", baseline=False))
    result = project.cli("check", "--json")
    assert hostname not in result.output and "internal-host-name" not in result.output
    assert inside.requests == []
    status = project.cli("status")
    assert "error: feed refused: external XML entity &file; (SYSTEM)" in status.output


def test_beneath_the_refusal_the_parser_itself_reads_no_file_and_makes_no_request(inside):
    """Entities on one line slip past feedparser's own doctype stripping; expat still reads nothing."""
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "no-such-text"
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY file SYSTEM "file:///etc/hostname">'
        f'<!ENTITY web SYSTEM "http://127.0.0.1:{inside.port}/hostname">]>'
        f'<rss version="2.0"><channel><title>t</title><item><title>a &file; &web; b</title></item></channel></rss>'
    ).encode()
    parsed = _feedparser().parse(body)
    assert hostname not in json.dumps(parsed, default=str) and inside.requests == []


def test_billion_laughs_is_refused_quickly_and_the_other_sources_go_on(site, project):
    lol = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    site.add("/bomb", feed(("&lol9;", site.url("/a/1")), doctype=f"<!DOCTYPE rss [{lol}]>"))
    site.add("/fine", feed((CONTROL, site.url("/a/2"))), content_type="application/rss+xml")
    project.write_sources(
        source_entry("bomb", site.url("/bomb"), kind="feed") + source_entry("fine", site.url("/fine"), kind="feed")
    )
    result = project.cli("check")
    assert "bomb    error: feed refused: nested XML entity &lol1; (an entity bomb?)" in result.output
    assert "fine    baseline" in result.output and "lollol" not in result.output


# --- state that is the owner's -----------------------------------------------------------------------------


def test_state_directory_and_database_are_readable_by_their_owner_only(tmp_path):
    from watcher.daemon.statelock import StateLock

    old = os.umask(0o022)  # the usual umask, which would leave them readable by everyone
    try:
        store = Store.open(tmp_path / "state")
        store.checks.source_state("x")
        lock = StateLock(tmp_path / "state")
        lock.acquire()
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (tmp_path / "state").iterdir()}
        lock.release()
        store.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert {"watcher.db", "watcher.db-wal", "watcher.db-shm", "watcher.lock"} <= set(modes), modes
    assert all(mode == 0o600 for mode in modes.values()), modes


def test_html_parsing_reads_no_entity_file_or_url(inside):
    """lxml's HTML parser, used by the html and page kinds and detail pages, loads no DTD or external entity."""
    from watcher.extract.markup import parse_html

    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "no-such-text"
    page = (
        f'<!DOCTYPE html [<!ENTITY file SYSTEM "file:///etc/hostname">'
        f'<!ENTITY web SYSTEM "http://127.0.0.1:{inside.port}/hostname">]>'
        "<html><body><p>a &file; &web; b</p></body></html>"
    )
    text = parse_html(page).text_content()
    assert "a " in text and hostname not in text and "internal-host-name" not in text and inside.requests == []


def test_through_a_proxy_the_proxy_is_trusted_and_the_target_name_is_checked_here(site, monkeypatch):
    """The loopback site plays a forward proxy: it answers absolute-URL requests from its page table."""
    import socket

    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", site.url(""))
    site.add("http://ok.example/page", "via the proxy")
    site.add("http://meta.example/latest/meta-data/", SECRET)

    def names(host: str, port: int) -> list[str]:
        if host == "meta.example":
            return ["169.254.169.254"]
        if host == "127.0.0.1":
            return ["127.0.0.1"]
        raise socket.gaierror(socket.EAI_NONAME, "only the proxy knows this name")

    fetcher = Fetcher(user_agent="t", host_interval=0, resolver=names)
    reach = Reach.of("http://ok.example/", hosts=("meta.example",))
    assert fetcher.fetch("http://ok.example/page", reach=reach, retries=0).content == b"via the proxy"
    with pytest.raises(FetchError, match=r"meta\.example:80 is at 169\.254\.169\.254, a cloud metadata address"):
        fetcher.fetch("http://meta.example/latest/meta-data/", reach=reach, retries=0)
    assert [hit["path"] for hit in site.requests] == ["http://ok.example/page"]
