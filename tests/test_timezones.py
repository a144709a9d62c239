"""Dates keep their zone: stored as UTC instants (or plain dates), shown in `[settings] timezone`."""

from __future__ import annotations

import json
import re

from conftest import source_entry

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Agency releases</title><link>https://agency.example/</link>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://agency.example/r/{n}</link><guid>https://agency.example/r/{n}</guid>
<pubDate>{date}</pubDate><description>{title}</description></item>"""
DEAL = "MP Materials signs $400 million rare earth magnet offtake with the Department of Defense"


def feed(*entries: tuple[int, str, str]) -> str:
    return FEED.format(items="".join(ITEM.format(n=n, title=title, date=date) for n, title, date in entries))


def alerts_to(project, site) -> None:
    hook = site.url("/hook").replace("http://", "json://")
    (project.alerts / "apprise.yml").write_text(f"version: 1\nurls:\n  - {hook}:\n      - tag: procurement\n")


def test_a_feed_date_is_stored_in_utc_and_shown_in_the_display_zone(site, project):
    alerts_to(project, site)
    page = site.add("/feed", feed((1, "Quarterly report", "Mon, 14 Jul 2025 09:00:00 -0400")))
    project.write_sources(
        source_entry("agency", site.url("/feed"), "feed", official=True),
        settings='host_interval = "0s"\ntimezone = "Europe/Berlin"',
    )
    assert project.cli("check").exit_code == 0  # baseline
    page.set_body(
        feed(
            (2, DEAL, "Tue, 15 Jul 2025 23:30:00 -0400"), (1, "Quarterly report", "Mon, 14 Jul 2025 09:00:00 -0400")
        ).encode()
    )
    result = project.cli("check")
    assert "(2025-07-16 05:30 CEST)" in result.output  # 23:30 in New York is 05:30 the next day in Berlin

    (line,) = [json.loads(line) for line in project.cli("history", "--json").output.splitlines()]
    assert line["published"] == "2025-07-16T03:30:00Z"  # the instant, in UTC, with its zone written
    assert line["detected_at"].endswith("Z")

    (hook,) = site.received("/hook")
    assert "published 2025-07-16 05:30 CEST" in hook["message"]
    first_seen = hook["message"].split("first seen ")[1].split()[:3]
    assert first_seen[2] in ("CET", "CEST") and "Z" not in first_seen[1]

    detected = project.cli("history").output.splitlines()[1].split("  ")[0]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} CES?T", detected), detected


def test_a_date_without_a_time_stays_a_date_in_every_zone(site, project):
    alerts_to(project, site)
    rows = '<ul><li><a href="/n/1">Lynas quarterly report</a> <span>2025-10-09</span></li></ul>'
    page = site.add("/list", rows)
    project.write_sources(
        source_entry("list", site.url("/list"), item="li", official=True),
        settings='host_interval = "0s"\ntimezone = "Pacific/Honolulu"',
    )
    project.cli("check")
    page.set_body(rows.replace("<ul>", f'<ul><li><a href="/n/2">{DEAL}</a> <span>2025-10-10</span></li>').encode())
    output = project.cli("check").output
    assert f"{DEAL} (2025-10-10)" in output  # not shifted to 10-09 in Honolulu
    (hook,) = site.received("/hook")
    assert "published 2025-10-10 ·" in hook["message"]


def test_an_unknown_timezone_is_a_configuration_error(project):
    project.write_sources("", settings='timezone = "Europe/Atlantis"')
    result = project.cli("sources", "--check")
    assert result.exit_code == 2
    assert "[settings]: key 'timezone': unknown time zone 'Europe/Atlantis'" in result.output


def test_since_dates_are_read_in_the_display_zone():
    from watcher.cli.history_cmd import since_stamp

    now = "2025-10-09T12:00:00Z"
    assert since_stamp("2025-10-09", now) == "2025-10-09T00:00:00Z"
    assert since_stamp("2025-10-09", now, "Europe/Berlin") == "2025-10-08T22:00:00Z"  # midnight in Berlin
    assert since_stamp("2025-10-09T08:00", now, "Asia/Shanghai") == "2025-10-09T00:00:00Z"
    assert since_stamp("24h", now, "Asia/Shanghai") == "2025-10-08T12:00:00Z"  # an age has no zone
