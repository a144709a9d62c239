"""The fault run of issue 10: one `watcher check` over 16 sources on one host, 12 of them broken in 12 ways.

Every broken source is named by `watcher status` with its real reason; the healthy ones (and the GBK page
whose header says utf-8, which watcher must simply read right) deliver exactly once through a loopback
json:// receiver; nothing else is delivered, recorded as removed, or repeated by later checks.
"""

from __future__ import annotations

import json
import time

from conftest import source_entry
from loopback import free_port

CONTROL = "商务部公告2025年第{n}号 公布对境外相关稀土物项实施出口管制的决定"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def listing(*numbers: int, encoding: str = "utf-8", css: str = "list") -> bytes:
    rows = "".join(
        f'<li><a href="/n/{n}.html">{CONTROL.format(n=n)}</a> <span>2025-10-{n:02d}</span></li>' for n in numbers
    )
    return f"<html><body><ul class='{css}'>{rows}</ul></body></html>".encode(encoding)


def feed(*numbers: int, doctype: str = "", base: str = "") -> bytes:
    items = "".join(
        f"<item><title>{CONTROL.format(n=n)}</title><link>{base}/f/{n}.html</link><guid>{base}/f/{n}.html</guid>"
        f"<pubDate>Thu, {n:02d} Oct 2025 08:00:00 +0800</pubDate></item>"
        for n in numbers
    )
    return (
        f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><title>News</title>{items}</channel></rss>'.encode()
    )


BOMB = (
    '<!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)

EXPECTED = {  # source -> what `watcher status` must say about it
    "refused": "error: cannot connect: connection refused",
    "read-timeout": "error: no response within 1s",
    "slow-drip": "error: body not received within 1s",
    "http-500": "error: HTTP 500 Internal Server Error",
    "body-30mb": "error: body exceeds the 10,000,000-byte cap (max_bytes)",
    "redirect-loop": "error: more than 10 redirects (a redirect loop?)",
    "truncated-feed": "error: feed not well-formed at line 1: no element found",
    "selector-nothing": "broken: no items found (on the first check)",
    "selector-stops": "broken: no items found (it matched 2 before)",
    "empty-body": "error: empty body (HTTP 200, 0 bytes)",
    "png-as-html": "error: not a text page: the body is a PNG image",
    "billion-laughs": "error: feed refused: nested XML entity &lol1; (an entity bomb?)",
}


def test_fault_run(site, project):
    hook, ops = (site.url(path).replace("http://", "json://") for path in ("/hook", "/ops"))
    (project.alerts / "apprise.yml").write_text(
        f"version: 1\nurls:\n  - {hook}:\n      - tag: procurement\n  - {ops}:\n      - tag: ops\n"
    )
    (project.alerts / "routes.toml").write_text(
        '[delivery]\nbackoff = "0s"\n[[route]]\nlabels = ["quota", "export_control", "enforcement", "deal"]\n'
        'tags = ["procurement"]\n'
    )
    html = {"item": "ul.list > li", "date": "span", "official": True}
    pages = {
        "gov-list": site.add("/gov", listing(1, 2)),
        "news-feed": site.add("/news", feed(41, 42), content_type="application/rss+xml"),
        "ministry-b": site.add("/b", listing(11, 12)),
        "gbk-says-utf8": site.add("/gbk", listing(21, 22, encoding="gbk")),  # header: charset=utf-8
        "selector-stops": site.add("/stops", listing(31, 32)),
    }
    site.add("/slow", listing(1), delay=3.0)
    site.add("/drip", listing(1), drip=0.05)
    site.add("/500", "down", status=500)
    site.add("/huge", stream_bytes=30_000_000)
    site.add("/loop-a", redirect_to="/loop-b")
    site.add("/loop-b", redirect_to="/loop-a")
    site.add("/trunc", feed(1, 2)[:-40], content_type="application/rss+xml")
    site.add("/nothing", listing(1, css="other"))
    site.add("/empty", b"")
    site.add("/png", PNG, content_type="text/html")
    site.add("/bomb", feed(1, doctype=BOMB), content_type="application/rss+xml")

    entries = [
        source_entry("gov-list", site.url("/gov"), **html),
        source_entry("news-feed", site.url("/news"), kind="feed", official=True),
        source_entry("ministry-b", site.url("/b"), **html),
        source_entry("gbk-says-utf8", site.url("/gbk"), **html),
        source_entry("refused", f"http://127.0.0.1:{free_port()}/", **html),
        source_entry("read-timeout", site.url("/slow"), **html),
        source_entry("slow-drip", site.url("/drip"), **html),
        source_entry("http-500", site.url("/500"), retries=1, **html),
        source_entry("body-30mb", site.url("/huge"), **html),
        source_entry("redirect-loop", site.url("/loop-a"), **html),
        source_entry("truncated-feed", site.url("/trunc"), kind="feed"),
        source_entry("selector-nothing", site.url("/nothing"), **html),
        source_entry("selector-stops", site.url("/stops"), **html),
        source_entry("empty-body", site.url("/empty"), **html),
        source_entry("png-as-html", site.url("/png"), **html),
        source_entry("billion-laughs", site.url("/bomb"), kind="feed"),
    ]
    assert len(entries) == 16
    project.write_sources(
        '[defaults]\ntimeout = "1s"\nretries = 2\n\n' + "".join(entries),
        # all on 127.0.0.1: the spacing holds, and eats no timeout; three runs stay below the failure threshold
        settings='host_interval = "0.05s"\nfailure_threshold = 4',
    )

    started = time.monotonic()
    first = project.cli("check")  # the baseline of the healthy ones, silent
    assert first.exit_code == 0, first.output
    assert site.received("/hook") == []

    pages["gov-list"].set_body(listing(3, 1, 2))
    pages["news-feed"].set_body(feed(43, 41, 42))
    pages["ministry-b"].set_body(listing(13, 11, 12))
    pages["gbk-says-utf8"].set_body(listing(23, 21, 22, encoding="gbk"))
    pages["selector-stops"].set_body(listing(31, 32, css="redesigned"))
    second = project.cli("check")
    assert second.exit_code == 0, second.output
    assert "16 sources checked: 4 new, 0 changed, 12 failed" in second.output

    delivered = sorted(alert["title"] for alert in site.received("/hook"))
    assert len(delivered) == 4, delivered
    for n in (3, 13, 23, 43):  # one each: gov-list, ministry-b, the GBK page read right, news-feed
        assert sum(f"Announcement No. {n} of 2025:" in title for title in delivered) == 1, (n, delivered)
    # the only other messages: ops hears at once of the two selectors that match nothing (by design)
    health = sorted(alert["title"] for alert in site.received("/ops"))
    assert health == ["[HEALTH] Source broken: selector-nothing", "[HEALTH] Source broken: selector-stops"], health

    status = project.cli("status")
    lines = {line.split()[0]: line for line in status.output.splitlines() if line and line.split()[0] in EXPECTED}
    for name, reason in EXPECTED.items():
        assert reason[:58] in lines[name], (name, lines.get(name))
    for name in ("gov-list", "news-feed", "ministry-b", "gbk-says-utf8"):
        assert f"{name}  " in status.output and "ok" in status.output.split(name, 1)[1].splitlines()[0]

    records = {row["name"]: row for row in json.loads(project.cli("status", "--json").output)["sources"]}
    for name, reason in EXPECTED.items():
        assert records[name]["error"] == reason.split(": ", 1)[1] or records[name]["error"].startswith(
            reason.split(": ", 1)[1]
        ), (name, records[name]["error"])

    # nothing else changes: the redesigned page, put back, has lost no items; nothing is sent twice
    pages["selector-stops"].set_body(listing(31, 32))
    third = project.cli("check")
    assert third.output.split("selector-stops", 1)[1].split()[0] in ("ok", "unchanged")
    assert "0 new, 0 changed, 11 failed" in third.output
    assert len(site.received("/hook")) == 4
    assert [alert["title"] for alert in site.received("/ops")[2:]] == ["[HEALTH] Source recovered: selector-stops"]
    assert time.monotonic() - started < 30
