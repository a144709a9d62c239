"""Fetching against a real loopback server: retries, limits, validators, spacing and faults."""

from __future__ import annotations

import time

import pytest
from loopback import free_port

from watcher.core.errors import FetchError
from watcher.core.models import Validators
from watcher.fetch.http import Fetcher, HostGate


@pytest.fixture
def fetcher() -> Fetcher:
    return Fetcher(user_agent="watcher-test/1.0 (ops@example.org)", host_interval=0, backoff_factor=0.05)


def test_ok_with_user_agent_and_validators(site, fetcher):
    page = site.add("/list", "<ul><li>a</li></ul>")
    fetched = fetcher.fetch(site.url("/list"))
    assert fetched.status == 200 and fetched.content == page.body
    assert fetched.etag == page.etag and fetched.last_modified
    assert site.hits("/list")[0]["headers"]["User-Agent"] == "watcher-test/1.0 (ops@example.org)"


def test_conditional_get_gets_304(site, fetcher):
    page = site.add("/list", "<ul><li>a</li></ul>")
    first = fetcher.fetch(site.url("/list"))
    again = fetcher.fetch(site.url("/list"), validators=Validators(first.etag, first.last_modified))
    assert again.not_modified and again.status == 304 and again.content == b""
    assert site.hits("/list")[1]["headers"]["If-None-Match"] == page.etag
    page.set_body(b"<ul><li>a</li><li>b</li></ul>")
    changed = fetcher.fetch(site.url("/list"), validators=Validators(first.etag, first.last_modified))
    assert changed.status == 200 and b"<li>b</li>" in changed.content


def test_500_then_200_is_retried_within_one_fetch(site, fetcher):
    site.add("/flaky", "fine", script=[500, 500])
    fetched = fetcher.fetch(site.url("/flaky"), retries=3)
    assert fetched.status == 200 and fetched.content == b"fine"
    assert len(site.hits("/flaky")) == 3


def test_429_honours_retry_after(site, fetcher):
    site.add("/busy", "ok", script=[429], retry_after="1")
    started = time.monotonic()
    fetched = fetcher.fetch(site.url("/busy"), retries=2)
    assert fetched.status == 200
    hits = site.hits("/busy")
    assert len(hits) == 2 and hits[1]["time"] - hits[0]["time"] >= 0.9
    assert time.monotonic() - started < 5


def test_persistent_5xx_is_an_http_error(site, fetcher):
    site.add("/down", "x", script=[503, 503, 503])
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(site.url("/down"), retries=2)
    assert caught.value.status == 503 and "HTTP 503" in str(caught.value)


def test_404_is_not_retried(site, fetcher):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetcher.fetch(site.url("/missing"), retries=3)
    assert len(site.hits("/missing")) == 1


def test_unreachable_host(fetcher):
    with pytest.raises(FetchError, match="connection refused") as caught:
        fetcher.fetch(f"http://127.0.0.1:{free_port()}/", retries=1)
    assert caught.value.reason == "connection"


def test_read_timeout(site, fetcher):
    site.add("/slow", "late", delay=2.0)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"within 0\.5s") as caught:
        fetcher.fetch(site.url("/slow"), timeout=0.5, retries=0)
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 1.9


def test_huge_body_is_cut_at_the_cap_while_streaming(site, fetcher):
    site.add("/huge", stream_bytes=50_000_000)
    started = time.monotonic()
    with pytest.raises(FetchError, match="exceeds the 10,000,000-byte cap") as caught:
        fetcher.fetch(site.url("/huge"), max_bytes=10_000_000, retries=0)
    assert caught.value.reason == "too_large"
    assert time.monotonic() - started < 10


def test_declared_length_over_cap_fails_before_reading(site, fetcher):
    site.add("/big", b"x" * 2_000_000)
    with pytest.raises(FetchError, match="body of 2,000,000 bytes exceeds"):
        fetcher.fetch(site.url("/big"), max_bytes=1_000_000)


def test_redirect_loop(site, fetcher):
    site.add("/a", redirect_to="/b")
    site.add("/b", redirect_to="/a")
    with pytest.raises(FetchError, match="more than 10 redirects") as caught:
        fetcher.fetch(site.url("/a"))
    assert caught.value.reason == "redirects"


def test_redirect_is_followed_and_final_url_kept(site, fetcher):
    site.add("/old", redirect_to="/new")
    site.add("/new", "here")
    fetched = fetcher.fetch(site.url("/old"))
    assert fetched.final_url == site.url("/new") and fetched.content == b"here"


def test_host_gate_spaces_requests_to_one_host():
    clock = [0.0]
    slept: list[float] = []
    gate = HostGate(2.0, clock=lambda: clock[0], sleep=slept.append)
    gate.wait("www.mofcom.gov.cn")
    gate.wait("www.mofcom.gov.cn")
    gate.wait("www.miit.gov.cn")
    gate.wait("www.mofcom.gov.cn")
    assert slept == [2.0, 4.0]


def test_host_gate_gives_up_past_the_deadline():
    gate = HostGate(10.0, clock=lambda: 0.0, sleep=lambda _: None)
    gate.wait("h")
    with pytest.raises(FetchError, match="waited too long"):
        gate.wait("h", deadline=5.0)


def test_host_spacing_against_a_real_server(site):
    site.add("/p", "x")
    fetcher = Fetcher(user_agent="t", host_interval=0.5)
    for _ in range(3):
        fetcher.fetch(site.url("/p"))
    times = [hit["time"] for hit in site.hits("/p")]
    # slots are 0.5 s apart; a loaded machine may send one a little late (without spacing: a few ms)
    assert times[1] - times[0] >= 0.35 and times[2] - times[1] >= 0.35
