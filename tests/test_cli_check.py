"""`watcher check`, `history` and `sources` through the CLI, against a loopback site."""

from __future__ import annotations

import json

from conftest import source_entry


def page(*titles: str) -> str:
    rows = "".join(f'<li><a href="/n/{i}.html">{t}</a> <span>2025-10-0{i}</span></li>' for i, t in enumerate(titles, 1))
    return f"<html><body><ul class='list'>{rows}</ul></body></html>"


CONTROL = "商务部公告2025年第61号 公布对境外相关稀土物项实施出口管制的决定"


def test_first_check_silent_second_reports_exactly_the_new_item_third_gets_304(site, project):
    list_page = site.add("/list", page("Notice A", "Notice B"))
    project.write_sources(source_entry("ministry", site.url("/list"), item="ul.list > li"))

    first = project.cli("check", "--json")
    assert first.exit_code == 0 and first.output == ""

    list_page.set_body(page("Notice A", "Notice B", CONTROL).encode())
    second = project.cli("check", "--json", "--no-notify")  # the default console channel would print too
    lines = [json.loads(line) for line in second.output.splitlines()]
    assert len(lines) == 1
    assert {key: lines[0][key] for key in ("source", "change", "id", "title", "url", "published")} == {
        "source": "ministry",
        "change": "new",
        "id": f"//127.0.0.1:{site.port}/n/3.html",
        "title": CONTROL,
        "url": site.url("/n/3.html"),
        "published": "2025-10-03",
    }
    # the classification travels with the change, and is the event the history recorded
    assert (lines[0]["label"], lines[0]["severity"]) == ("export_control", "high")
    assert {"出口管制", "稀土"} <= set(lines[0]["matched"])
    assert lines[0]["facts"]["doc_no"] == "商务部公告2025年第61号"
    (recorded,) = [json.loads(line) for line in project.cli("history", "--json").output.splitlines()]
    assert recorded["event_id"] == lines[0]["event_id"] and recorded["label"] == "export_control"

    third = project.cli("check")
    assert third.exit_code == 0
    assert "ministry  unchanged" in third.output and "0 new, 0 changed, 0 failed" in third.output
    last = site.hits("/list")[-1]["headers"]
    assert last["If-None-Match"] == list_page.etag and "If-Modified-Since" in last


def test_table_output_and_failing_source_exit_code(site, project):
    site.add("/list", page("Notice A"))
    project.write_sources(
        source_entry("good", site.url("/list"), item="li")
        + source_entry("dead", site.url("/gone"), item="li", retries=0)
    )
    result = project.cli("check")
    assert result.exit_code == 0
    assert "good" in result.output and "baseline" in result.output
    assert "dead" in result.output and "error: HTTP 404" in result.output
    assert "2 sources checked: 0 new, 0 changed, 1 failed" in result.output
    assert "1 source checked:" in project.cli("check", "--source", "good").output
    listing = project.cli("sources").output
    assert "error (1 failure)" in listing and "failures)" not in listing


def test_check_named_source_and_unknown_name(site, project):
    site.add("/list", page("A"))
    project.write_sources(
        source_entry("one", site.url("/list"), item="li")
        + source_entry("two", site.url("/list"), item="li", enabled=False)
    )
    assert "two" in project.cli("check", "--source", "two").output  # named sources run even if disabled
    bad = project.cli("check", "--source", "three")
    assert bad.exit_code == 2 and "no source named 'three'" in bad.output and "known: one, two" in bad.output


def test_invalid_configuration_exits_2_without_traceback(project):
    project.sources.write_text('[[source]]\nname = "x"\nurl = "https://x.org"\nkind = "html"\nitem = 5\n')
    result = project.cli("check")
    assert result.exit_code == 2
    assert "[[source]] 'x' (entry 1): key 'item'" in result.output and "Traceback" not in result.output


def test_history_and_sources(site, project):
    list_page = site.add("/list", page("Notice A"))
    project.write_sources(source_entry("ministry", site.url("/list"), item="li"))
    project.cli("check")
    list_page.set_body(page("Notice A", "Notice B").encode())
    project.cli("check")

    history = project.cli("history")
    assert "ministry" in history.output and "Notice B" in history.output and "new" in history.output
    as_json = [json.loads(line) for line in project.cli("history", "--json").output.splitlines()]
    assert [(row["change"], row["title"]) for row in as_json] == [("new", "Notice B")]
    assert project.cli("history", "--source", "ministry", "--label", "quota").output.startswith("no changes recorded")
    unknown = project.cli("history", "--source", "other")
    assert unknown.exit_code == 2
    assert "no source named 'other'" in unknown.output and "known: ministry" in unknown.output
    assert project.cli("history", "--since", "1h", "--json").output.count("\n") == 1
    assert project.cli("history", "--since", "2999-01-01", "--json").output == ""
    bad_since = project.cli("history", "--since", "yesterday")
    assert bad_since.exit_code == 2 and "use a date" in bad_since.output

    sources = project.cli("sources")
    assert "ministry" in sources.output and "ok" in sources.output and site.url("/list") in sources.output
    listed = json.loads(project.cli("sources", "--json").output)
    assert listed["status"] == "ok" and listed["failures"] == 0


def test_history_before_any_check(project):
    project.write_sources("")
    result = project.cli("history")
    assert result.exit_code == 0 and "run `watcher check` first" in result.output


def test_kinds_lists_every_kind_and_option(project):
    result = project.cli("kinds")
    for text in ("html:", "feed:", "json:", "page:", "item (required)", "json_path", "every source:", "interval"):
        assert text in result.output


def test_check_json_is_json_only_and_carries_the_classification(site, project):
    """With the default console:// channel, alert cards go to stderr; each event line has its terms and facts."""
    list_page = site.add("/list", page("Notice A"))
    project.write_sources(source_entry("mofcom", site.url("/list"), item="ul.list > li", official=True))
    assert project.cli("check").exit_code == 0  # baseline
    list_page.set_body(page("Notice A", "商务部公告2025年第61号 公布对境外相关稀土物项实施出口管制的决定").encode())
    result = project.cli("check", "--json")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]  # every stdout line parses
    (line,) = [line for line in lines if line["change"] == "new"]
    assert line["label"] == "export_control" and "出口管制" in line["matched"]
    assert line["facts"].get("doc_no") == "商务部公告2025年第61号"
    assert "[EXPORT CONTROL · high]" in result.stderr  # the console card was delivered, on stderr
