"""No secret of the channel configuration in any log line, at --log-level debug, for every command."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time

import pytest
from conftest import source_entry
from loopback import free_port
from test_notify import listing

from watcher.cli import COMMANDS


@pytest.fixture
def leaky(project, site, monkeypatch):
    """A project whose apprise.yml holds a password, Slack tokens, a mail password and a ${VAR} token."""
    values = {
        "hook_password": "hp" + secrets.token_hex(8),
        "mail_password": "mp" + secrets.token_hex(8),
        "slack_a": "T" + secrets.token_hex(4).upper(),
        "slack_b": "B" + secrets.token_hex(4).upper(),
        "slack_c": "s" + secrets.token_hex(11),
        "env_token": "et" + secrets.token_hex(8),
    }
    monkeypatch.setenv("OPS_HOOK", f"json://127.0.0.1:{site.port}/ops/{values['env_token']}")
    (project.alerts / "apprise.yml").write_text(
        "version: 1\nurls:\n"
        f"  - json://watcher:{values['hook_password']}@127.0.0.1:{site.port}/hook:\n      - tag: procurement\n"
        f"  - mailto://watcher:{values['mail_password']}@127.0.0.1:{free_port()}?mode=insecure"
        "&from=w@example.org&to=b@example.org:\n      - tag: procurement\n"
        f"  - slack://{values['slack_a']}/{values['slack_b']}/{values['slack_c']}:\n      - tag: ops\n"
        "  - ${OPS_HOOK}:\n      - tag: ops, digest\n"
    )
    (project.alerts / "apprise.yml").chmod(0o600)
    page = site.add("/list", listing("Lynas quarterly report published"))
    project.write_sources(source_entry("mofcom", site.url("/list"), item="ul.list > li", official=True))
    assert project.cli("check").exit_code == 0  # baseline
    page.set_body(
        listing("商务部公告2025年第61号 公布对境外相关稀土物项实施出口管制的决定", "Lynas quarterly report").encode()
    )
    project.secrets = list(values.values())
    return project


COMMAND_LINES = {
    "check": [["check"], ["check", "--json"]],
    "sources": [["sources"], ["sources", "--check"]],
    "history": [["history"]],
    "classify": [["classify", "稀土出口管制"]],
    "status": [["status"]],
    "outbox": [["outbox"], ["outbox", "send", "--digests"], ["outbox", "retry"], ["outbox", "--json"]],
    "notify-test": [["notify-test"]],
    "prune": [["prune", "--dry-run"]],
    "demo": [["demo", "--live", "--pause", "0"]],
    "kinds": [["kinds"]],
    "search": [["search", "稀土"], ["search", "稀土", "--json"]],
}
# Long-running servers, run in subprocesses elsewhere: `run` below (test_no_secret_in_the_daemon_log_at_debug);
# `serve` reads only the state, and its /outbox page is tested to show masked errors only (tests/test_web.py).
SERVERS = {"run", "serve"}


def test_every_command_is_covered():
    assert set(COMMAND_LINES) | SERVERS == set(COMMANDS)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_secret_in_any_line_of_any_command_at_debug(leaky, caplog, log_format):
    caplog.set_level(logging.DEBUG)
    seen_config_dump = False
    # every command in the text format; the JSON format (same records, another formatter) on those that deliver
    names = sorted(COMMAND_LINES) if log_format == "text" else ["check", "notify-test", "outbox"]
    for name in names:
        for args in COMMAND_LINES[name]:
            result = leaky.cli("--log-level", "debug", "--log-format", log_format, *args)
            text = result.stdout + result.stderr
            seen_config_dump |= "Loading raw configuration" in text
            for secret in leaky.secrets:
                assert secret not in text, (args, secret)
    assert seen_config_dump  # Apprise did dump the configuration: masked
    for secret in leaky.secrets:
        assert secret not in caplog.text  # every handler sees masked records, not only ours


def test_no_secret_in_the_daemon_log_at_debug(leaky):
    command = [sys.executable, "-m", "watcher", "--sources", str(leaky.sources), "--state", str(leaky.state)]
    command += ["--alerts", str(leaky.alerts), "--log-level", "debug", "run"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ)
    time.sleep(6)  # start, check the source, deliver (the Slack target fails: more logging)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert "Loading raw configuration" in output and "outbox" in output
    for secret in leaky.secrets:
        assert secret not in output, secret
