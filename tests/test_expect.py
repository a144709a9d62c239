"""[[expect]] entries: an overdue notice alerts once through a real webhook, repeats only after `repeat`,
and a matching notice that arrives later closes it; a quota notice without figures is flagged.

The state's clock is injected (the CLI context carries it to the Store); pages come from a loopback
site and alerts go through Apprise's json:// to a loopback receiver.
"""

from __future__ import annotations

import html
import json
import tomllib
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import source_entry

from watcher.analyze.expect import Evidence, meets, severity, stand
from watcher.analyze.notice_history import last_published, load_notices, withheld_facts
from watcher.cli import cli
from watcher.cli.context import AppContext
from watcher.config.expect import Every, parse_every
from watcher.config.sources import load_config, parse_config
from watcher.core.errors import ConfigError


class Clock:
    def __init__(self, when: str) -> None:
        self.set(when)

    def set(self, when: str) -> None:
        self.now = datetime.fromisoformat(when).replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def listing(*rows: tuple[str, str]) -> str:
    items = "".join(
        f'<li><a href="/n/{zlib.crc32(title.encode())}.html">{html.escape(title)}</a> <span>{day}</span></li>'
        for title, day in rows
    )
    return f"<html><body><ul>{items}</ul></body></html>"


OLD = ("工业和信息化部关于印发《工业领域碳达峰实施方案》的通知", "2025-12-02")
BATCH_1 = ("关于下达2026年第一批稀土开采、冶炼分离总量控制指标的通知", "2026-04-20")
BATCH_2 = (
    "关于下达2026年第二批稀土开采、冶炼分离总量控制指标的通知（不含已下达的第一批指标）",
    "2026-04-15",
)

EXPECT = """
[[expect]]
name = "re-batch-1"
description = "first-batch rare-earth quota notice"
label = "quota"
match = ["第一批", "first batch"]
require = ["稀土", "rare earth"]
facts = { batch = 1 }
sources = ["miit-*"]
by = "03-31"
repeat = "7d"
history = "quota_history"
"""


def configure(project, site, expect: str = EXPECT) -> None:
    hook = site.url("/hook").replace("http://", "json://")
    news = site.url("/news").replace("http://", "json://")
    ops = site.url("/ops").replace("http://", "json://")
    (project.alerts / "apprise.yml").write_text(
        f"version: 1\nurls:\n  - {hook}:\n      - tag: procurement\n  - {news}:\n      - tag: news\n"
        f"  - {ops}:\n      - tag: ops\n",
        "utf-8",
    )
    (project.alerts / "routes.toml").write_text(
        '[delivery]\nbackoff = "0s"\n'
        '[[route]]\nlabels = ["overdue"]\ntags = ["procurement"]\n'
        '[[route]]\nlabels = ["quota", "export_control"]\ntags = ["news"]\n',
        "utf-8",
    )
    project.write_sources(source_entry("miit-notices", site.url("/list"), "html", item="li", official=True) + expect)


def run(project, clock: Clock, *args: str):
    base = ["--sources", str(project.sources), "--state", str(project.state), "--alerts", str(project.alerts)]
    context = AppContext(project.sources, project.state, project.alerts, clock=clock)
    result = CliRunner().invoke(cli, [*base, *args], obj=context, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_overdue_alerts_once_repeats_after_its_period_and_is_closed_by_the_notice(project, site):
    configure(project, site)
    page = site.add("/list", listing(OLD))
    clock = Clock("2026-01-10T08:00:00")
    run(project, clock, "check")  # the baseline; the notice is not due before 03-31
    assert site.received("/hook") == []

    clock.set("2026-04-05T09:00:00")
    out = run(project, clock, "check").output
    assert "expectation re-batch-1: alert" in out
    (alert,) = site.received("/hook")
    assert alert["title"] == (
        "[OVERDUE · medium] first-batch rare-earth quota notice: overdue by 5 days (due by 03-31)"
    )
    body = alert["message"]
    assert "has appeared in 2026" in body and "due by 03-31 (2026-03-31), now 5 days late" in body
    assert "Met before: 2025-07-18 (figures withheld), 2024-02-06, 2023-03-24, 2022-01-28, 2021-02-19, " in body
    assert "Later than in any year" not in body  # 2025's first batch was reported on 07-18

    clock.set("2026-04-11T09:00:00")  # within the 7-day repeat period: nothing
    run(project, clock, "check")
    assert len(site.received("/hook")) == 1

    clock.set("2026-04-12T09:00:01")  # the period is over: one reminder
    run(project, clock, "check")
    run(project, clock, "check")
    assert len(site.received("/hook")) == 2
    reminder = site.received("/hook")[1]
    assert reminder["title"].startswith(
        "[OVERDUE · medium] first-batch rare-earth quota notice: still overdue, 12 days"
    )
    assert "(reminder 1)" in reminder["message"]

    page.set_body(listing(BATCH_2, OLD).encode())  # names the first batch, but it is batch 2: no close
    clock.set("2026-04-15T10:00:00")
    run(project, clock, "check")
    assert len(site.received("/hook")) == 2

    page.set_body(listing(BATCH_1, BATCH_2, OLD).encode())
    clock.set("2026-04-20T11:00:00")
    out = run(project, clock, "check").output
    assert "expectation re-batch-1: close" in out
    closing = site.received("/hook")[2]
    assert closing["title"] == "[ARRIVED · medium] first-batch rare-earth quota notice: arrived, 20 days late"
    assert "20 days after the due date 2026-03-31" in closing["message"] and "Open the notice" in closing["message"]

    (quota,) = [message for message in site.received("/news") if "batch 1" in message["title"]]  # English
    assert "Figures: not published; last published: 2024 batch 2, 135,000 t mining" in quota["message"]

    clock.set("2026-06-01T10:00:00")
    run(project, clock, "check")
    assert len(site.received("/hook")) == 3  # met for 2026: quiet until next year's due date

    picture = json.loads(run(project, clock, "status", "--json").output)
    (entry,) = picture["expectations"]
    assert (entry["status"], entry["met_on"], entry["alert_open"]) == ("met", "2026-04-20", False)
    assert entry["met_before"][:2] == ["2025-07-18", "2024-02-06"]
    text = run(project, clock, "status").output
    assert "re-batch-1   met on 2026-04-20" in text, text


def test_a_notice_already_on_the_page_at_install_meets_it_and_a_missing_one_alerts_once(project, site):
    configure(project, site)
    site.add("/list", listing(("关于下达2026年第一批稀土开采、冶炼分离总量控制指标的通知", "2026-02-10"), OLD))
    clock = Clock("2026-05-02T08:00:00")  # installed after the due date
    run(project, clock, "check")
    assert site.received("/hook") == []  # the baseline item met it, though it was never an event
    status = json.loads(run(project, clock, "status", "--json").output)["expectations"][0]
    assert (status["status"], status["met_on"], status["met_by"]) == ("met", "2026-02-10", "item")

    other = project.root / "other"
    other.mkdir()
    project.state = other / "state"
    site.add("/list", listing(OLD))
    run(project, clock, "check")
    run(project, clock, "check")
    (alert,) = site.received("/hook")  # one alert, about this year only, never about 2019 or 2025
    assert "overdue by 32 days" in alert["title"]
    text = run(project, clock, "status").output
    assert "re-batch-1   overdue by 32 days (due 2026-03-31); alerted 2026-05-02T08:00:00Z" in text


def test_later_than_any_year_on_record_is_high_and_says_by_how_much(project, site):
    configure(project, site)
    site.add("/list", listing(OLD))
    clock = Clock("2026-08-01T00:00:00")
    run(project, clock, "check")
    (alert,) = site.received("/hook")
    assert alert["title"].startswith("[OVERDUE · high]")
    assert "Later than in any year since 2019: 14 days past the latest, 2025-07-18." in alert["message"]


def test_every_interval_counts_from_the_last_meeting_and_from_install_when_never_met(project, site):
    expect = """
[[expect]]
name = "half-yearly"
label = "quota"
match = ["半年"]
every = "6mo"
grace = "2d"
"""
    configure(project, site, expect)
    site.add("/list", listing(OLD))
    clock = Clock("2026-01-31T12:00:00")
    run(project, clock, "check")
    clock.set("2026-08-01T12:00:00")  # due 2026-07-31 (month end kept), in its 2-day grace time
    run(project, clock, "check")
    assert site.received("/hook") == []
    assert "half-yearly  due 2026-07-31, 1 day ago (grace time" in run(project, clock, "status").output
    clock.set("2026-08-02T23:59:59")  # the grace time ends two days after the due day ends
    run(project, clock, "check")
    assert site.received("/hook") == []
    clock.set("2026-08-03T00:00:01")
    run(project, clock, "check")
    (alert,) = site.received("/hook")
    assert "half-yearly: overdue by 3 days (due by 2026-07-31 (every 6mo))" in alert["title"]
    assert "has appeared since 2026-01-31" in alert["message"]

    site.pages["/list"].set_body(
        listing(("关于下达2026年下半年稀土开采总量控制指标的通知", "2026-08-05"), OLD).encode()
    )
    clock.set("2026-08-05T09:00:00")
    run(project, clock, "check")
    closing = site.received("/hook")[1]
    assert closing["title"] == "[ARRIVED · medium] half-yearly: arrived, 5 days late"
    assert "half-yearly  met on 2026-08-05; next due by 2027-02-05" in run(project, clock, "status").output


# -- validation --------------------------------------------------------------------------------------------


def config_problems(tmp_path: Path, expect: str) -> list[str]:
    path = tmp_path / "sources.toml"
    path.write_text(source_entry("miit-notices", "https://www.miit.gov.cn/x", "html", item="li") + expect, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_mistakes_name_file_entry_and_key(tmp_path):
    path = tmp_path / "sources.toml"
    problems = config_problems(
        tmp_path,
        """
[[expect]]
name = "a"
label = "quota"
match = ["第一批"]
by = "13-01"
sources = ["mnr-*", "miit-notice"]
history = "nope"

[[expect]]
name = "b"
label = "quotas"
match = "x"
by = "03-31"
every = "6months"
colour = "red"

[[expect]]
name = "c"
label = "quota"
by = "02-29"
""",
    )
    where_a, where_b, where_c = (f"{path}: [[expect]] {name!r} (entry {n})" for n, name in enumerate("abc", 1))
    assert any(p.startswith(f"{where_a}: key 'by': '13-01' is not a day of the year; write 'MM-DD'") for p in problems)
    assert any(p.startswith(f"{where_a}: key 'sources': pattern 'mnr-*' matches no [[source]]") for p in problems)
    assert any(p.startswith(f"{where_a}: key 'sources': name 'miit-notice' matches no [[source]]") for p in problems)
    assert any(
        p.startswith(f"{where_a}: key 'history': 'nope' is neither a shipped data set (quota_history)")
        for p in problems
    )
    assert any(p.startswith(f"{where_b}: keys 'by' and 'every': set exactly one") for p in problems)
    assert any(p.startswith(f"{where_b}: key 'label': must be one of 'quota', 'export_control'") for p in problems)
    assert any(p.startswith(f"{where_b}: key 'every': '6months' is not an interval: use e.g. '6mo'") for p in problems)
    assert any(p.startswith(f"{where_b}: unknown key 'colour'") for p in problems)
    assert any(p.startswith(f"{where_c}: key 'match': missing") for p in problems)
    assert not any("Traceback" in p for p in problems)


def test_duplicate_names_and_a_non_table_are_reported(tmp_path):
    path = tmp_path / "sources.toml"
    entry = '[[expect]]\nname = "a"\nlabel = "quota"\nmatch = ["x"]\nby = "03-31"\n'
    problems = config_problems(tmp_path, entry + entry)
    assert problems == [
        f"{path}: [[expect]] 'a' (entry 2): key 'name': duplicate name, already used by entry 1; names must be unique"
    ]
    data = tomllib.loads('expect = "x"')
    with pytest.raises(ConfigError) as caught:
        parse_config(data, path)
    assert caught.value.problems == [f"{path}: 'expect' must be an array of tables: write each entry as [[expect]]"]


def test_the_shipped_expectations_are_valid_and_their_history_is_sourced():
    config = load_config(Path(__file__).parent.parent / "sources.toml")
    names = {expect.name: expect for expect in config.expectations}
    assert set(names) == {"rare-earth-quota-batch-1", "rare-earth-quota-batch-2"}
    assert (names["rare-earth-quota-batch-1"].by, names["rare-earth-quota-batch-2"].by) == ("03-31", "09-30")
    rows = load_notices()
    assert all(row["source_url"].startswith("http") and row["source_title"] for row in rows)
    public_first = [row["date"] for row in rows if row["batch"] == 1 and "date" in row]
    assert public_first and all(day[5:] <= "03-31" for day in public_first)  # the rule `by = "03-31"` keeps
    (withheld,) = [row for row in rows if row.get("figures_withheld")]
    assert withheld["year"] == 2025 and not any(key.endswith("_tonnes") for key in withheld)


def test_a_broken_history_file_is_a_configuration_error_naming_the_row(tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text('[[notice]]\nyear = 2024\nbatch = 1\nmining_tonnes = "many"\n', "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_notices(bad)
    problems = caught.value.problems
    assert (
        f"{bad}: [[notice]] entry 1: key 'source_url': required: where this row was found (every row is sourced)"
        in problems
    )
    assert f"{bad}: [[notice]] entry 1: key 'mining_tonnes': a positive whole number of tonnes" in problems


# -- the pure parts ----------------------------------------------------------------------------------------


def spec(**overrides):
    data = tomllib.loads(EXPECT)["expect"][0] | overrides
    data.pop("sources")
    data.pop("history")
    return parse_config({"expect": [data]}, Path("sources.toml")).expectations[0]


def test_facts_decide_before_terms_and_require_keeps_other_quotas_out():
    first = spec()
    second_batch = "2026年第二批稀土开采总量控制指标 (不含已下达的第一批指标)"
    assert not meets(first, "quota", second_batch, {"batch": 2, "year": 2026})
    assert meets(first, "quota", "China sets its rare earth quota for the year", {"batch": 1})  # facts alone
    assert meets(first, "quota", "2026年第一批稀土开采总量控制指标", {})  # terms when facts are silent
    assert not meets(first, "quota", "2026年第一批钨矿开采总量控制指标", {"batch": 1})  # tungsten only
    assert not meets(first, "market", "第一批稀土", {"batch": 1})
    assert meets(first, "quota", "The FIRST BATCH of rare earths quotas", {})  # normalised and case-folded


def test_standing_by_the_year_grace_and_the_record():
    first = spec(grace="3d")
    history = [Evidence(date(2024, 2, 6), "history", year=2024), Evidence(date(2025, 7, 18), "history", year=2025)]
    at = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    assert stand(first, history, at("2026-03-31T23:59:59"), at("2026-01-01T00:00:00")).status == "due"
    grace = stand(first, history, at("2026-04-02T12:00:00"), at("2026-01-01T00:00:00"))
    assert (grace.status, grace.overdue_days) == ("grace", 2)
    late = stand(first, history, at("2026-07-20T00:00:00"), at("2026-01-01T00:00:00"))
    assert (late.status, late.overdue_days, late.beyond_record_days) == ("overdue", 111, 2)
    assert late.latest_on_record.day == date(2025, 7, 18) and severity(first, late) == "high"
    # evidence about 2025 seen in 2026 does not meet 2026
    recap = Evidence(date(2026, 1, 5), "event", year=2025)
    assert stand(first, [*history, recap], at("2026-02-01T00:00:00"), at("2026-01-01T00:00:00")).met is None


def test_every_steps_calendar_months_and_parses_units():
    assert parse_every("6mo").after(datetime(2026, 8, 31, tzinfo=UTC)) == datetime(2027, 2, 28, tzinfo=UTC)
    assert parse_every("1y") == Every(months=12) and str(parse_every("1y")) == "1y"
    assert parse_every("2w") == Every(seconds=14 * 86400.0) and parse_every("90d") == Every(seconds=90 * 86400.0)
    with pytest.raises(ValueError):
        parse_every("0mo")


def test_withheld_figures_name_the_last_published_batch():
    rows = load_notices()
    assert last_published(rows) == {
        "year": 2024,
        "batch": 2,
        "date": "2024-08-20",
        "mining_tonnes": 135000,
        "smelting_tonnes": 127000,
    }
    facts = withheld_facts({"year": 2025, "batch": 1}, "quota", "2025年第一批稀土开采", lambda: rows)
    assert facts == {"figures_withheld": True, "last_published": last_published(rows)}
    assert withheld_facts({"year": 2025, "mining_tonnes": 1}, "quota", "稀土", lambda: rows) == {}
    assert withheld_facts({}, "quota", "China's quota system under review", lambda: rows) == {}  # no notice
    assert withheld_facts({"year": 2025}, "quota", "钨矿开采总量控制指标", lambda: rows) == {"figures_withheld": True}


# -- the daemon ---------------------------------------------------------------------------------------------


def wait_for(predicate, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_the_daemon_evaluates_on_its_schedule_and_exports_an_overdue_gauge(project, site):
    import urllib.request

    from loopback import free_port

    from watcher.daemon.service import Daemon, DaemonOptions

    configure(project, site)
    site.add("/list", listing(OLD))
    clock = Clock("2026-04-05T09:00:00")
    port = free_port()
    options = DaemonOptions(
        sources_file=project.sources,
        state_dir=project.state,
        alerts_dir=project.alerts,
        http=("127.0.0.1", port),
        drain_every=0.5,
        watch_every=60,
    )
    daemon = Daemon(options, environ={}, clock=clock)
    daemon.lock.acquire()
    daemon.start()
    try:
        wait_for(lambda: len(site.received("/hook")) == 1)  # the evaluation at start, drained at once
        assert site.received("/hook")[0]["title"].startswith("[OVERDUE · medium] first-batch rare-earth")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        assert 'watcher_expectation_overdue{expectation="re-batch-1"} 1.0' in metrics
        assert 'watcher_expectation_overdue_days{expectation="re-batch-1"} 5.0' in metrics

        clock.set("2026-04-06T09:00:00")
        daemon.jobs.expect()  # the next cycle, within the repeat period
        daemon.jobs.drain_once()
        assert len(site.received("/hook")) == 1
    finally:
        daemon.stop("test")
        daemon.close()


def test_the_readme_example_is_what_is_sent(project, site):
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    shown = readme.split("the alert reads", 1)[1].split("```\n", 2)[1].rstrip("\n")
    arrived = readme.split("when the notice appeared\non 2026-08-03:", 1)[1].split("```\n", 2)[1].splitlines()[0]
    shipped = (Path(__file__).parent.parent / "sources.toml").read_text("utf-8")
    entries = "\n[[expect]]\n" + shipped.split("\n[[expect]]\n", 1)[1]
    configure(
        project,
        site,
        entries.replace('sources = ["miit-*", "mnr-*", "mining-com", "google-news-*"]', 'sources = ["miit-*"]'),
    )
    page = site.add("/list", listing(OLD))
    clock = Clock("2026-08-01T06:00:00")
    run(project, clock, "check")
    (alert,) = site.received("/hook")
    assert f"{alert['title']}\n\n{alert['message']}" == shown
    page.set_body(listing(("关于下达2026年第一批稀土开采、冶炼分离总量控制指标的通知", "2026-08-03"), OLD).encode())
    clock.set("2026-08-03T06:00:00")
    run(project, clock, "check")
    assert site.received("/hook")[1]["title"] == arrived


def test_every_expect_key_is_in_the_readme():
    from watcher.config.expect import Expect

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    section = readme.split("## Expectations", 1)[1].split("\n## ", 1)[0]
    for key in Expect.model_fields:
        assert f"| `{key}` |" in section, key


def test_two_evaluations_that_read_the_same_state_alert_once(tmp_path):
    from watcher.core.models import NewEvent
    from watcher.store import Store

    clock = Clock("2026-04-05T09:00:00")
    store = Store.open(tmp_path / "state", clock=clock)
    first = store.expectations.watch("e", "2026-01-01T00:00:00Z")
    second = store.expectations.watch("e", "2026-03-01T00:00:00Z")  # watched since the first time
    assert first == second and first["alerted_at"] is None
    update = {"overdue_since": "2026-04-05T09:00:00Z", "alerted_at": "2026-04-05T09:00:00Z", "alerts": 1}
    event = NewEvent(
        source="expect:e", label="overdue", severity="medium", title="t", routes=[("p", "immediate", None)]
    )
    written = store.expectations.transition("e", first["alerted_at"], update, event)
    assert written["id"] and store.expectations.transition("e", second["alerted_at"], update, event) is None
    assert store.outbox.outbox_counts() == {"pending": 1}
    assert store.expectations.states()["e"]["event_id"] == written["id"]
    store.close()
