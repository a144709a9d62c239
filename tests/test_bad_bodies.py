"""Bodies that used to pass silently are check errors with their reason, shown by `watcher status` (issue 10.7)."""

from __future__ import annotations

import json

from conftest import source_entry


def feed(count: int) -> str:
    items = "".join(f"<item><title>Item {n}</title><link>http://x.example/{n}</link></item>" for n in range(count))
    return f'<?xml version="1.0"?>\n<rss version="2.0">\n<channel><title>News</title>\n{items}\n</channel></rss>\n'


def status_of(project, name: str) -> dict:
    rows = json.loads(project.cli("status", "--json").output)["sources"]
    return next(row for row in rows if row["name"] == name)


def test_a_truncated_feed_is_an_error_naming_the_line_not_unchanged(site, project):
    page = site.add("/feed", feed(3), content_type="application/rss+xml")
    project.write_sources(source_entry("news", site.url("/feed"), kind="feed"))
    project.cli("check")
    assert status_of(project, "news")["result"] == "baseline"
    page.set_body(feed(3)[:-30].encode())  # cut inside </channel>
    result = project.cli("check")
    assert "error: feed not well-formed at line 4: unclosed token" in result.output
    assert status_of(project, "news")["error"] == "feed not well-formed at line 4: unclosed token"
    assert "error: feed not well-formed at line 4" in project.cli("status").output


def test_an_empty_200_body_is_an_error_for_every_kind(site, project):
    site.add("/empty", b"")
    project.write_sources(
        source_entry("feed", site.url("/empty"), kind="feed")
        + source_entry("list", site.url("/empty"), item="li")
        + source_entry("page", site.url("/empty"), kind="page")
    )
    project.cli("check")
    for name in ("feed", "list", "page"):
        assert status_of(project, name)["result"] == "error"
        assert status_of(project, name)["error"] == "empty body (HTTP 200, 0 bytes)"


def test_a_well_formed_feed_with_no_items_stays_legal(site, project):
    site.add("/feed", feed(0), content_type="application/rss+xml")
    project.write_sources(source_entry("news", site.url("/feed"), kind="feed"))
    project.cli("check")
    assert status_of(project, "news")["result"] == "baseline" and status_of(project, "news")["error"] is None


def test_an_image_served_as_a_page_says_so_instead_of_blaming_the_selector(site, project):
    site.add("/list", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40, content_type="text/html")
    project.write_sources(source_entry("list", site.url("/list"), item="li"))
    project.cli("check")
    assert status_of(project, "list")["error"] == "not a text page: the body is a PNG image (served as text/html)"
