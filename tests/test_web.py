"""The web view over HTTP, served by waitress on 127.0.0.1: every page and feed, the filters, escaping, the
headers, the token, and `watcher serve` / `watcher search` / `watcher run --http` around it."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import webstate

from watcher.web.app import create_app
from watcher.web.context import WebOptions
from watcher.web.server import WebServer

TOKEN = "s3cret-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    built = webstate.build(tmp_path_factory.mktemp("web") / "project")
    yield built
    built.site.close()


def serve(options: WebOptions) -> WebServer:
    app = create_app(options)
    server = WebServer(app, "127.0.0.1", 0, what="the web view", on_close=app.extensions["watcher.readers"].close)
    server.start()
    return server


@pytest.fixture(scope="module")
def base(state):
    server = serve(WebOptions(state_dir=state.state, zone=ZoneInfo("Asia/Shanghai")))
    yield f"http://{server.address}"
    server.close()


@pytest.fixture(scope="module")
def guarded(state):
    server = serve(WebOptions(state_dir=state.state, token=TOKEN))
    yield f"http://{server.address}"
    server.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, Any, str]:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8")


def listed(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'<li class="event" data-id="(\d+)"', html)]


def q(**params) -> str:
    return urllib.parse.urlencode(params, doseq=True)


# -- pages ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/events", "/events/1", "/quota", "/sources", "/outbox", "/login"])
def test_every_page_answers_with_strict_headers(base, path):
    status, headers, body = get(base + path)
    assert status == (302 if path == "/login" else 200), body
    if status == 200:
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "script-src" not in headers["Content-Security-Policy"]  # no script may run at all
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        assert "<script" not in body


def test_recent_events_are_newest_first_with_label_severity_source_and_local_time(state, base):
    status, _, body = get(base + "/")
    assert status == 200
    assert listed(body) == state.oracle()
    assert 'class="label label-export_control"' in body and 'class="sev sev-high"' in body
    assert "loopback-wire" in body and " CST" in body  # Asia/Shanghai, the zone this server was given


def test_markup_in_a_title_is_shown_as_text_everywhere(base):
    for path in ("/", "/events?" + q(q="镓"), "/outbox"):
        body = get(base + path)[2]
        assert "<script>alert" not in body
    body = get(base + "/")[2]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 镓 export controls on gallium" in body


@pytest.mark.parametrize(
    "params",
    [
        {"q": "镓"},
        {"q": "稀土"},
        {"q": "gallium"},
        {"q": "Dy"},
        {"q": "export controls"},
        {"label": "quota"},
        {"label": ["export_control", "deal"]},
        {"severity": "high", "q": "稀土"},
        {"source": "loopback-wire"},
        {"label": "export_control", "q": "镓"},
    ],
    ids=str,
)
def test_events_page_filters_and_searches_exactly(state, base, params):
    status, _, body = get(base + "/events?" + q(**params))
    assert status == 200
    expected = state.oracle(
        text=params.get("q", ""),
        labels=tuple(params["label"] if isinstance(params.get("label"), list) else [params["label"]])
        if "label" in params
        else (),
        severities=(params["severity"],) if "severity" in params else (),
        sources=(params["source"],) if "source" in params else (),
    )
    assert listed(body) == expected and expected


def test_a_bad_filter_is_a_400_that_says_what_to_write(base):
    status, _, body = get(base + "/events?since=yesterday-ish")
    assert status == 400 and "use a date (2025-10-09)" in body
    status, _, body = get(base + "/api/events?limit=0")
    assert status == 400 and json.loads(body)["error"].startswith("limit:")


def test_an_event_page_shows_facts_outlets_changes_and_deliveries(base):
    status, _, body = get(base + "/events/2")
    assert status == 200
    assert "135,000" in body and "127,000" in body and "工信部联原〔2024〕25号" in body  # facts
    assert 'id="outlets"' in body and "miit-ycls-wjfb" in body
    assert "Matched terms" in body and "总量控制指标" in body  # the evidence
    assert 'id="deliveries"' in body and "procurement" in body and "sent" in body
    assert "+15,000" in body  # the delta against 2023's first batch
    assert get(base + "/events/999999")[0] == 404


def test_a_source_link_that_is_not_http_is_shown_as_text(state, tmp_path):
    from watcher.core.models import NewEvent
    from watcher.store import Store

    shutil.copytree(state.state, tmp_path / "state")
    store = Store.open(tmp_path / "state")
    event = NewEvent(source="s", label="deal", severity="low", title="x", url="javascript:alert(1)")
    event_id = store.events.record_health(event)["id"]
    store.close()
    server = serve(WebOptions(state_dir=tmp_path / "state"))
    try:
        body = get(f"http://{server.address}/events/{event_id}")[2]
    finally:
        server.close()
    assert 'href="javascript:' not in body and "javascript:alert(1)" in body


def test_quota_chart_draws_the_shipped_series_and_the_stored_notices(base):
    status, _, body = get(base + "/quota")
    assert status == 200 and '<svg id="quota-chart"' in body
    bars = re.findall(r'<rect class="bar (mining|smelting) batch\d"', body)
    # the shipped rows with a batch's own figures, 2018-2024 (2020's first batch gave no smelting figure;
    # full-year-only rows draw no bar: nothing is derived from them)
    assert bars.count("mining") == 11 and bars.count("smelting") == 10
    assert 'href="/events/1">stored notice #1' in body and 'href="/events/2">stored notice #2' in body
    for notice in ("工信部联原〔2022〕90号", "工信部联原〔2023〕159号", "自然资发〔2019〕35号"):
        assert notice in body
    assert "2024 batch 1, mining: 135,000 t — 工信部联原〔2024〕25号" in body  # each bar names its notice


def test_sources_and_outbox_pages(base):
    body = get(base + "/sources")[2]
    assert "loopback-dead" in body and "HTTP 404" in body and "failing" in body
    assert "mofcom-policy-releases" in body
    body = get(base + "/outbox")[2]
    assert re.search(r">\d+ sent<", body) and "procurement" in body


def test_outbox_errors_show_masked_urls_only(state, tmp_path):
    from watcher.store import Store

    shutil.copytree(state.state, tmp_path / "state")
    store = Store.open(tmp_path / "state")
    delivery = store.outbox.outbox_rows(limit=1)[0]["id"]
    store.outbox.finish_delivery(
        delivery,
        ok=False,
        done_targets=[],
        error="json://hook-user:hunter2@127.0.0.1:9/x?token=abc123: connection refused",
        retry_in=None,
    )
    store.close()
    server = serve(WebOptions(state_dir=tmp_path / "state"))
    try:
        body = get(f"http://{server.address}/outbox?status=dead")[2]
    finally:
        server.close()
    assert "hunter2" not in body and "abc123" not in body
    assert "json://***@127.0.0.1:9/x?token=***: connection refused" in body


# -- feeds ----------------------------------------------------------------------------------------------------


def test_api_pages_through_exactly_the_filtered_events(state, base):
    url, seen = base + "/api/events?" + q(q="稀土", limit=2), []
    while url:
        status, headers, body = get(url)
        assert status == 200 and headers["Content-Type"] == "application/json"
        page = json.loads(body)
        seen += [event["id"] for event in page["events"]]
        url = page["next"]
    assert seen == state.oracle(text="稀土") and len(seen) > 2
    event = json.loads(get(base + "/api/events?" + q(q="工信部联原〔2024〕25号"))[2])["events"][0]
    assert event["facts"]["mining_tonnes"] == 135000 and event["page"].endswith("/events/2")


def test_atom_feed_is_valid_atom_with_the_same_filters(state, base):
    import feedparser

    status, headers, body = get(base + "/feeds/events.atom?" + q(q="镓"))
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(body.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    parsed = feedparser.parse(body.encode("utf-8"))
    assert not parsed.bozo, parsed.bozo_exception
    assert [int(entry.id.rsplit("/", 1)[1]) for entry in parsed.entries] == state.oracle(text="镓")
    assert any("<script>alert('x')</script>" in entry.title for entry in parsed.entries)  # text, escaped in XML
    assert all(entry.updated for entry in parsed.entries) and parsed.feed.title


def test_csv_export_has_the_filtered_rows_and_no_formula(state, base):
    status, headers, body = get(base + "/events.csv?" + q(q="rare earth"))
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [int(row["id"]) for row in rows] == state.oracle(text="rare earth")
    titles = [row["title"] for row in rows]
    assert '\'=HYPERLINK("http://evil.example") quarterly report of a rare earth miner' in titles
    all_rows = list(csv.DictReader(io.StringIO(get(base + "/events.csv")[2].lstrip("\ufeff"))))
    assert len(all_rows) == len(state.oracle())


# -- security -------------------------------------------------------------------------------------------------


def test_without_a_token_only_loopback_host_names_are_answered(base):
    assert get(base + "/", headers={"Host": "attacker.example"})[0] == 421  # DNS rebinding
    assert get(base + "/", headers={"Host": "localhost:8464"})[0] == 200


def test_with_a_token_every_request_needs_it(guarded):
    status, headers, _ = get(guarded + "/events?q=x")
    assert status == 302 and headers["Location"].startswith("/login?next=")
    status, headers, _ = get(guarded + "/api/events")
    assert status == 401 and "Basic" in headers["WWW-Authenticate"]
    assert get(guarded + "/feeds/events.atom")[0] == 401
    assert get(guarded + "/api/events", headers={"Authorization": "Bearer wrong"})[0] == 401
    assert get(guarded + "/api/events", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 200
    basic = base64.b64encode(f"reader:{TOKEN}".encode()).decode()
    assert get(guarded + "/feeds/events.atom", headers={"Authorization": f"Basic {basic}"})[0] == 200
    assert get(guarded + "/", headers={"Host": "watcher.example.org", "Authorization": f"Bearer {TOKEN}"})[0] == 200


def test_the_login_form_sets_a_cookie_that_is_not_the_token(guarded):
    form = urllib.parse.urlencode({"token": "wrong", "next": "/quota"}).encode()
    status, _, body = get(guarded + "/login", data=form)
    assert status == 401 and "not the one" in body
    form = urllib.parse.urlencode({"token": TOKEN, "next": "/quota"}).encode()
    status, headers, _ = get(guarded + "/login", data=form)
    assert status == 302 and headers["Location"] == "/quota"
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    assert TOKEN not in cookie and "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    assert get(guarded + "/quota", headers={"Cookie": cookie})[0] == 200
    assert get(guarded + "/quota", headers={"Cookie": "watcher_session=forged"})[0] == 302
    form = urllib.parse.urlencode({"token": TOKEN, "next": "//evil.example/"}).encode()
    assert get(guarded + "/login", data=form)[1]["Location"] == "/"  # never off-site


def test_no_write_endpoint_exists(base):
    for path in ("/", "/events", "/api/events", "/outbox"):
        assert get(base + path, data=b"x=1")[0] == 405


def test_serve_refuses_a_public_address_without_a_token(state, project):
    result = project.cli("--state", str(state.state), "serve", "--http", "0.0.0.0:0")
    assert result.exit_code == 1
    assert "refusing to serve the web view on 0.0.0.0 without a token" in result.output
    assert "--token" in result.output
    result = project.cli("--state", str(state.state), "serve", "--http", "0.0.0.0:0", "--token", "short")
    assert result.exit_code == 1 and "shorter than 16" in result.output


def test_serve_needs_a_state(project):
    result = project.cli("serve", "--http", "127.0.0.1:0")
    assert result.exit_code == 1 and "no state in" in result.output


def test_watcher_serve_on_a_public_address_with_a_token_requires_it(state, tmp_path):
    env = {"WATCHER_HTTP_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "watcher", "--state", str(state.state), "serve", "--http", "0.0.0.0:0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        line = process.stderr.readline()
        port = int(re.search(r"http://0\.0\.0\.0:(\d+)/", line).group(1))
        url = f"http://127.0.0.1:{port}/api/events"
        assert get(url)[0] == 401
        status, _, body = get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and json.loads(body)["events"]
    finally:
        process.terminate()
        assert process.wait(10) == 0  # SIGTERM stops it cleanly


# -- beside the daemon ----------------------------------------------------------------------------------------


def test_the_daemon_endpoint_serves_health_metrics_and_the_web_view_on_one_port(state):
    from prometheus_client import CollectorRegistry, Counter

    from watcher.daemon.http import open_http

    registry = CollectorRegistry()
    Counter("watcher_probe", "A test counter.", registry=registry).inc()
    server = open_http(
        ("127.0.0.1", 0),
        registry,
        lambda: (True, {"status": "ok"}),
        state_dir=state.state,
        token=None,
        timezone=None,
    )
    server.start()
    base = f"http://{server.address}"
    try:
        assert get(base + "/healthz")[:1] == (200,) and "watcher_probe_total 1.0" in get(base + "/metrics")[2]
        status, _, body = get(base + "/events?" + q(q="镓"))
        assert status == 200 and listed(body) == state.oracle(text="镓")
        assert " UTC" in get(base + "/")[2]
    finally:
        server.close()


def test_the_daemon_keeps_the_web_view_off_on_a_public_address_without_a_token(state, caplog):
    from prometheus_client import CollectorRegistry

    from watcher.daemon.http import open_http

    server = open_http(
        ("0.0.0.0", 0), CollectorRegistry(), lambda: (True, {}), state_dir=state.state, token=None, timezone=None
    )
    server.start()
    port = server.address.rsplit(":", 1)[1]
    try:
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        assert get(f"http://127.0.0.1:{port}/events")[0] == 404
        assert "web view off on 0.0.0.0" in caplog.text
    finally:
        server.close()


def test_the_web_server_stops_promptly(state):
    server = serve(WebOptions(state_dir=state.state))
    get(f"http://{server.address}/")
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < 3 and not server.thread.is_alive()
