"""Delivery through Apprise to a real SMTP server and a real webhook receiver on loopback."""

from __future__ import annotations

import email
import html
import json
import logging
import os
import signal
import subprocess
import sys
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import source_entry
from loopback import free_port

SMTP_PASSWORD = "s3cret-Pass-9"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def configure(project, site, smtp=None, *, procurement_url=None, max_attempts=3, burst=5):
    urls = [
        f"  - {procurement_url or site.url('/hook').replace('http://', 'json://')}:\n      - tag: procurement\n",
        f"  - {site.url('/ops').replace('http://', 'json://')}:\n      - tag: ops\n",
        f"  - {site.url('/digest').replace('http://', 'json://')}:\n      - tag: digest\n",
    ]
    if smtp is not None:
        urls.append(
            f"  - mailto://watcher:{SMTP_PASSWORD}@127.0.0.1:{smtp.port}?mode=insecure"
            f"&from=watcher@example.org&to=buyer@example.org:\n      - tag: procurement\n"
        )
    (project.alerts / "apprise.yml").write_text("version: 1\nurls:\n" + "".join(urls))
    (project.alerts / "routes.toml").write_text(f"""
[delivery]
max_attempts = {max_attempts}
backoff = "0s"
burst = {burst}
[[digest]]
tag = "digest"
every = "daily"
[[route]]
labels = ["quota", "export_control", "enforcement", "deal"]
severity = ["high", "medium"]
tags = ["procurement"]
[[route]]
labels = ["market"]
tags = ["digest"]
mode = "digest"
""")


def listing(*titles: str) -> str:
    rows = "".join(
        f'<li><a href="/n/{abs(hash(t)) % 10**8}.html">{html.escape(t)}</a> <span>2025-10-09</span></li>'
        for t in titles
    )
    return f"<html><body><ul class='list'>{rows}</ul></body></html>"


BASE = "Lynas quarterly report published"
CONTROL = "商务部公告2025年第61号 公布对境外相关稀土物项实施出口管制的决定"


def start(project, site, *titles: str, official: bool = True):
    page = site.add("/list", listing(BASE))
    project.write_sources(
        source_entry("mofcom", site.url("/list"), item="ul.list > li", official=official, publisher="MOFCOM")
    )
    assert project.cli("check").exit_code == 0  # baseline
    page.set_body(listing(*titles, BASE).encode())
    return page


def test_a_change_reaches_webhook_and_email_with_routing(site, project, smtp):
    configure(project, site, smtp)
    start(project, site, CONTROL, "Rare earth prices rise as magnet demand grows")
    result = project.cli("check")
    assert "delivered 2 (procurement 2)" not in result.output  # one delivery row per tag, not per target
    assert "delivered 1 (procurement 1)" in result.output

    (hook,) = site.received("/hook")
    assert hook["title"] == (
        "[EXPORT CONTROL · high] MOFCOM Announcement No. 61 of 2025: export controls on overseas rare earth items"
    )
    assert "Original title: 商务部公告2025年第61号" in hook["message"]
    assert "Open the source" in hook["message"] and site.url("/n/") in hook["message"]
    assert site.received("/digest") == [] and site.received("/ops") == []  # market news waits for the digest

    (mail,) = smtp.messages
    assert mail["Subject"].startswith("[EXPORT CONTROL · high]")
    mail_html = mail.get_body(("html",)).get_content()
    assert "商务部公告2025年第61号" in mail_html and "<a href=" in mail_html

    assert project.cli("check").output.count("delivered") == 0  # nothing twice
    assert len(site.received("/hook")) == 1 and len(smtp.messages) == 1


def test_500_twice_then_200_is_exactly_one_delivery(site, project, smtp):
    configure(project, site, smtp)
    site.add("/hook", script=[500, 500])
    start(project, site, CONTROL)
    first = project.cli("check")
    assert "1 failed, will retry (procurement 1)" in first.output
    assert len(smtp.messages) == 1  # the working channel got it at once
    assert "1 failed" in project.cli("outbox", "send").output
    assert "delivered 1" in project.cli("outbox", "send").output
    assert len(site.received("/hook")) == 1 and len(smtp.messages) == 1  # e-mail not repeated on retries
    assert len([r for r in site.requests if r["path"] == "/hook"]) == 3
    rows = [json.loads(line) for line in project.cli("outbox", "--json").output.splitlines()]
    assert [(row["status"], row["attempts"]) for row in rows] == [("sent", 3)]


def test_channel_down_for_the_whole_budget_goes_dead_and_ops_hears_of_it(site, project):
    configure(project, site, procurement_url=f"json://127.0.0.1:{free_port()}/hook", max_attempts=2)
    start(project, site, CONTROL)
    project.cli("check")
    final = project.cli("outbox", "send")
    assert "1 dead after the last attempt (procurement 1)" in final.output
    (alert,) = site.received("/ops")
    assert alert["title"] == "[HEALTH] Channel failing: procurement"
    assert "could not be delivered after 2 attempts" in alert["message"]
    assert "dead 1" in project.cli("outbox").output
    assert "requeued 1 delivery" in project.cli("outbox", "retry", "--dead").output


def test_killed_mid_delivery_then_restart_delivers_once(site, project):
    configure(project, site)
    hook = site.add("/hook", delay=4.0)
    start(project, site, CONTROL)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    args = ["--sources", str(project.sources), "--state", str(project.state), "--alerts", str(project.alerts)]
    process = subprocess.Popen(
        [sys.executable, "-c", "from watcher.cli import main; main()", *args, "check"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 20
    while not [r for r in site.requests if r["path"] == "/hook"] and time.time() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    hook.delay = 0
    time.sleep(4.5)  # the receiver finds its sender gone and acknowledges nothing
    assert site.received("/hook") == []
    assert "delivered 1" in project.cli("outbox", "send").output
    assert len(site.received("/hook")) == 1
    assert "nothing to deliver" in project.cli("outbox", "send").output


def test_recorded_but_not_sent_is_delivered_once_by_the_next_run(site, project):
    configure(project, site)
    start(project, site, CONTROL)
    assert "delivered" not in project.cli("check", "--no-notify").output
    assert site.received("/hook") == []
    project.cli("check")
    project.cli("check")
    assert len(site.received("/hook")) == 1


def test_digest_collects_three_low_events_into_one_message(site, project):
    configure(project, site)
    start(
        project,
        site,
        "Rare earth prices rise as magnet demand grows",
        "China's rare earth exports fall 10% in October, customs data show",
        "Dysprosium oxide price climbs to two-year high on tight supply",
    )
    assert "delivered" not in project.cli("check").output
    assert site.received("/digest") == []
    assert "delivered 3 (digest 3)" in project.cli("outbox", "send", "--digests").output
    (digest,) = site.received("/digest")
    assert digest["title"].startswith("[DIGEST · digest] 3 alerts since")
    body = digest["message"]
    assert body.count("- [") == 3 and "**MARKET**" in body
    assert "Dysprosium oxide price" in body and "exports fall 10%" in body
    assert "nothing to deliver" in project.cli("outbox", "send", "--digests").output


def test_a_burst_becomes_one_combined_message(site, project):
    configure(project, site, burst=2)
    start(project, site, *[f"商务部公告2025年第{n}号 公布对稀土相关物项实施出口管制的决定" for n in (61, 62, 63)])
    assert "delivered 3 (procurement 3)" in project.cli("check").output
    (combined,) = site.received("/hook")
    assert combined["title"].startswith("[ALERTS · 3 new] EXPORT CONTROL 3")


def test_page_text_cannot_inject_mentions_or_markup(site, project, smtp):
    from apprise.plugins.slack import NotifySlack

    configure(project, site, smtp)
    evil = (
        "MP Materials signs $500 million offtake deal <@U123> <!channel> @here <script>alert(1)</script> "
        "**urgent** [click](http://evil.example)"
    )
    page = start(project, site, BASE)
    row = (
        f'<li><a href="/n/evil.html">{html.escape(evil)}</a> <span>2025-10-09</span>'
        f"<p>{html.escape('The $500 million offtake deal covers NdPr oxide. ' + evil)}</p></li>"
    )
    page.set_body(listing(BASE).replace("<ul class='list'>", "<ul class='list'>" + row).encode())
    project.cli("check")
    (hook,) = site.received("/hook")
    assert "NdPr oxide" in hook["message"]  # the description reached the body as a summary
    slack = NotifySlack._commonmark_to_slack(hook["message"])
    assert "<@U123>" not in slack and "<!channel>" not in slack and "&lt;@U123&gt;" in slack
    assert "<http://evil.example|click>" not in slack and "<script>" not in slack
    assert "@here" not in slack and "@here" not in hook["title"]
    assert "<script>" not in hook["title"] and "<@U123>" not in hook["title"]
    mail_html = smtp.messages[0].get_body(("html",)).get_content()
    assert "<script>" not in mail_html and "&lt;script&gt;" in mail_html
    assert 'href="http://evil.example"' not in mail_html and "<strong>urgent</strong>" not in mail_html


def test_no_secret_in_logs_errors_or_output(site, project, smtp, caplog):
    configure(project, site, smtp)
    smtp_url = f"mailto://watcher:{SMTP_PASSWORD}@127.0.0.1:{free_port()}?mode=insecure&from=a@example.org"
    (project.alerts / "apprise.yml").write_text(f"version: 1\nurls:\n  - {smtp_url}:\n      - tag: procurement\n")
    caplog.set_level(logging.DEBUG)
    start(project, site, CONTROL)
    outputs = [
        project.cli("check").output,
        project.cli("outbox").output,
        project.cli("outbox", "--json").output,
        project.cli("notify-test").output,
    ]
    assert "1 failed, will retry" in outputs[0]
    for text in [*outputs, caplog.text]:
        assert SMTP_PASSWORD not in text
    assert "mailto://" in outputs[1] or "mailto://" in outputs[3]


def test_notify_test_reports_each_target(site, project, smtp):
    configure(project, site, smtp)
    site.add("/ops", status=503)
    result = project.cli("notify-test")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("procurement") and "json://" in line and line.rstrip().endswith("ok") for line in lines)
    assert any("mailto://" in line and "ok" in line for line in lines)
    assert any(line.startswith("ops") and "error" in line for line in lines)
    assert SMTP_PASSWORD not in result.output
    assert len(smtp.messages) == 1 and smtp.messages[0]["Subject"] == "watcher test message"


def test_env_secrets_and_configuration_errors(site, project, monkeypatch):
    (project.alerts / "apprise.yml").write_text("version: 1\nurls:\n  - ${HOOK_URL}:\n      - tag: procurement\n")
    project.write_sources("")
    missing = project.cli("notify-test")
    assert missing.exit_code == 2 and "environment variable(s) HOOK_URL not set" in missing.output
    monkeypatch.setenv("HOOK_URL", site.url("/hook").replace("http://", "json://"))
    assert project.cli("notify-test").exit_code == 0
    (project.alerts / "apprise.yml").write_text("version: 1\nurls:\n  - notaservice://x:\n      - tag: a\n")
    assert "not valid Apprise URLs" in project.cli("notify-test").output
    (project.alerts / "apprise.yml").write_text("urls: [\n")
    assert "YAML syntax error at line" in project.cli("notify-test").output
    (project.alerts / "apprise.yml").unlink()
    (project.alerts / "routes.toml").write_text('[[route]]\ntags = ["digest"]\nmode = "digest"\nlabels = ["news"]\n')
    bad = project.cli("check")
    assert bad.exit_code == 2 and "routes.toml: [[route]] entry 1: key 'labels'" in bad.output
    (project.alerts / "routes.toml").write_text('[[route]]\ntags = ["weekly"]\nmode = "digest"\n')
    assert "no [[digest]] sets its schedule" in project.cli("check").output
    (project.alerts / "routes.toml").unlink()
    (project.alerts / "templates").mkdir()
    (project.alerts / "templates" / "alert.md.j2").write_text("{{ event.nope }}")
    broken = project.cli("check")
    assert broken.exit_code == 2 and "alert.md.j2" in broken.output


def test_world_readable_file_with_a_secret_warns(site, project, caplog):
    path = project.alerts / "apprise.yml"
    path.write_text(
        f"version: 1\nurls:\n  - mailto://u:{SMTP_PASSWORD}@127.0.0.1:25?mode=insecure&from=a@b.org:\n"
        "      - tag: procurement\n"
    )
    path.chmod(0o644)
    from watcher.notify.channels import load_channels

    with caplog.at_level(logging.WARNING):
        load_channels(project.alerts)
    assert "readable by every user" in caplog.text and SMTP_PASSWORD not in caplog.text
    caplog.clear()
    path.chmod(0o600)
    load_channels(project.alerts)
    assert "readable by every user" not in caplog.text


def test_shipped_templates_match_the_packaged_ones():
    from importlib.resources import files
    from pathlib import Path

    shipped = Path(__file__).parent.parent / "alerts" / "templates"
    packaged = files("watcher") / "data" / "templates"
    for template in packaged.iterdir():
        if template.name.endswith(".j2"):
            assert (shipped / template.name).read_text("utf-8") == template.read_text("utf-8"), template.name


def test_shipped_routes_match_the_packaged_defaults():
    from pathlib import Path

    from watcher.notify.routes import PACKAGED

    shipped = Path(__file__).parent.parent / "alerts" / "routes.toml"
    assert shipped.read_text("utf-8") == PACKAGED.read_text("utf-8")


def test_shipped_alerts_directory_loads():
    from pathlib import Path

    from watcher.notify.setup import load_alerts

    channels, routes, _ = load_alerts(Path(__file__).parent.parent / "alerts")
    assert channels.tags() == ["digest", "ops", "procurement"]
    assert {route.mode for route in routes.route} == {"immediate", "digest"}


def test_a_claim_from_an_earlier_life_of_the_same_pid_is_released(site, project):
    """In a container the daemon is pid 1 after every restart: its old claims must not wait out the lease."""
    import os as _os

    from watcher.store import Store

    configure(project, site)
    start(project, site, CONTROL)
    project.cli("check", "--no-notify")
    store = Store.open(project.state)
    store.db.execute(
        "UPDATE deliveries SET status = 'sending', claimed_at = ?, claimed_by = ?",
        [store.now(), f"{_os.getpid()}:earlierlife"],
    )
    assert store.outbox.release_stale_claims(300) == 1
    store.close()
    assert "delivered 1" in project.cli("outbox", "send").output


def test_digest_rows_keep_their_own_delivered_targets(site, project):
    """A digest row that reached one of two channels, digested again with a new row: each channel gets each row once."""
    configure(project, site)
    two = project.alerts / "apprise.yml"
    two.write_text(
        two.read_text()
        .replace(site.url("/digest").replace("http://", "json://"), site.url("/digest-a").replace("http://", "json://"))
        .rstrip("\n")
        + f"\n  - {site.url('/digest-b').replace('http://', 'json://')}:\n      - tag: digest\n"
    )
    site.add("/digest-b", script=[500])
    page = start(project, site, "Rare earth prices rise as magnet demand grows")
    project.cli("check")
    assert "1 failed, will retry (digest 1)" in project.cli("outbox", "send", "--digests").output
    page.set_body(
        listing(
            "Dysprosium oxide price climbs to two-year high", "Rare earth prices rise as magnet demand grows", BASE
        ).encode()
    )
    project.cli("check", "--no-notify")
    assert "delivered 2 (digest 2)" in project.cli("outbox", "send", "--digests").output
    first_a, second_a = (message["message"] for message in site.received("/digest-a"))
    (only_b,) = (message["message"] for message in site.received("/digest-b"))
    assert "Rare earth prices rise" in first_a and "Dysprosium" not in first_a
    assert "Dysprosium" in second_a and "Rare earth prices rise" not in second_a  # not repeated, not missed
    assert "Rare earth prices rise" in only_b and "Dysprosium" in only_b


def test_a_burst_of_health_alerts_is_one_message_naming_every_source(site, project):
    """Seven sources failing at once: one combined message that lists each, not an empty body retried forever."""
    ops = site.url("/ops").replace("http://", "json://")
    (project.alerts / "apprise.yml").write_text(f"version: 1\nurls:\n  - {ops}:\n      - tag: ops\n")
    (project.alerts / "routes.toml").write_text('[delivery]\nbackoff = "0s"\nhealth_tag = "ops"\n')
    dead = "".join(
        source_entry(f"s{i}", f"http://127.0.0.1:{free_port()}/", item="li", timeout="0.3s") for i in range(7)
    )
    project.write_sources(dead, settings='host_interval = "0s"\nfailure_threshold = 1')
    assert project.cli("check").exit_code == 0
    (message,) = site.received("/ops")
    assert message["title"].startswith("[ALERTS · 7 new]")
    assert all(f"Source broken: s{i}" in message["message"] for i in range(7))
    assert project.cli("outbox", "--json").stdout.count('"pending"') == 0
