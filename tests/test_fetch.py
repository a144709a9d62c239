"""Fetching against a real loopback server: retries, limits, validators, spacing and faults."""

from __future__ import annotations

import logging
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


def test_host_gate_refuses_a_turn_beyond_max_wait_and_says_how_long_the_queue_is():
    slept: list[float] = []
    gate = HostGate(10.0, clock=lambda: 0.0, sleep=slept.append, max_wait=25.0)
    for _ in range(3):
        gate.wait("www.mofcom.gov.cn")
    with pytest.raises(
        FetchError, match=r"no turn at www\.mofcom\.gov\.cn within 25s: 3 requests queued ahead"
    ) as caught:
        gate.wait("www.mofcom.gov.cn")
    assert caught.value.reason == "host_busy" and slept == [10.0, 20.0]
    gate.wait("www.miit.gov.cn")  # another host's queue is its own
    assert slept == [10.0, 20.0]


def test_host_spacing_against_a_real_server(site):
    site.add("/p", "x")
    fetcher = Fetcher(user_agent="t", host_interval=0.5)
    for _ in range(3):
        fetcher.fetch(site.url("/p"))
    times = [hit["time"] for hit in site.hits("/p")]
    # slots are 0.5 s apart; a loaded machine may send one a little late (without spacing: a few ms)
    assert times[1] - times[0] >= 0.35 and times[2] - times[1] >= 0.35


# --- one deadline for the whole fetch (issue 10, item 5) -------------------------------------------------


def test_timeout_bounds_every_attempt_and_backoff_together(site, fetcher):
    site.add("/slow", "late", delay=5.0)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no response within 2s") as caught:
        fetcher.fetch(site.url("/slow"), timeout=2.0, retries=3)
    elapsed = time.monotonic() - started
    assert caught.value.reason == "timeout"
    assert 1.9 < elapsed < 2.6  # before: 2 s per attempt plus backoff, 8 s and more


def test_a_body_trickled_byte_by_byte_is_cut_at_the_deadline(site, fetcher):
    site.add("/drip", b"<html>" + b"x" * 200 + b"</html>", drip=0.05)  # 10 s to send it all
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"body not received within 1s") as caught:
        fetcher.fetch(site.url("/drip"), timeout=1.0, retries=0)
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 1.5  # before: read until the whole body arrived, 10 s


def test_connection_errors_retry_only_while_the_deadline_allows(fetcher):
    started = time.monotonic()
    with pytest.raises(FetchError, match="connection refused"):
        fetcher.fetch(f"http://127.0.0.1:{free_port()}/", timeout=0.5, retries=10)
    assert time.monotonic() - started < 0.7  # backoff 0.05, 0.1, 0.2, then 0.4 would pass the deadline


def test_a_retry_after_beyond_the_deadline_fails_at_once_with_the_status(site, fetcher):
    site.add("/busy", "ok", script=[503], retry_after="20")
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"HTTP 503 Service Unavailable: asks to retry after 20s, past the 2s"):
        fetcher.fetch(site.url("/busy"), timeout=2.0, retries=3)
    assert time.monotonic() - started < 1.0 and len(site.hits("/busy")) == 1


def test_redirects_share_the_deadline(site, fetcher):
    site.add("/a", redirect_to="/b")
    site.add("/b", "late", delay=3.0)
    started = time.monotonic()
    with pytest.raises(FetchError, match="no response within 1s"):
        fetcher.fetch(site.url("/a"), timeout=1.0, retries=2)
    assert time.monotonic() - started < 1.5


def test_failed_attempts_are_not_logged_one_by_one(site, fetcher, caplog):
    site.add("/down", "x", script=[503, 503, 503])
    with caplog.at_level(logging.INFO):
        with pytest.raises(FetchError, match="HTTP 503"):
            fetcher.fetch(site.url("/down"), retries=2)
        with pytest.raises(FetchError, match="connection refused"):
            fetcher.fetch(f"http://127.0.0.1:{free_port()}/", retries=2)
    assert [record.getMessage() for record in caplog.records] == []  # before: urllib3's "Retrying (...)" lines


# --- spacing does not eat the timeout (issue 10, item 6) ---------------------------------------------------


def test_waiting_for_a_turn_at_the_host_does_not_consume_the_timeout(site):
    site.add("/p", "x", delay=0.3)
    fetcher = Fetcher(user_agent="t", host_interval=1.2)
    fetcher.fetch(site.url("/p"), timeout=1.0)
    started = time.monotonic()
    fetched = fetcher.fetch(site.url("/p"), timeout=1.0)  # waits ~1.2 s for its turn, then has its own 1 s
    assert fetched.content == b"x" and time.monotonic() - started >= 1.0


def test_a_turn_that_never_comes_names_the_host_and_the_wait(site):
    site.add("/p", "x")
    fetcher = Fetcher(user_agent="t", host_interval=5.0, max_turn_wait=3.0)
    fetcher.fetch(site.url("/p"))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no turn at 127\.0\.0\.1 within 3s: 1 requests queued ahead") as caught:
        fetcher.fetch(site.url("/p"))
    assert caught.value.reason == "host_busy" and time.monotonic() - started < 0.5


# --- bodies that must not pass silently (issue 10, item 7) -------------------------------------------------


def test_an_empty_200_body_is_an_error(site, fetcher):
    site.add("/empty", b"")
    with pytest.raises(FetchError, match=r"^empty body \(HTTP 200, 0 bytes\)$") as caught:
        fetcher.fetch(site.url("/empty"))
    assert caught.value.reason == "empty"


def test_the_size_cap_counts_decompressed_bytes(site, fetcher):
    import gzip

    bomb = gzip.compress(b"\0" * 20_000_000)  # about 20 KB on the wire
    site.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="body exceeds the 1,000,000-byte cap") as caught:
        fetcher.fetch(site.url("/bomb"), max_bytes=1_000_000)
    assert caught.value.reason == "too_large" and len(bomb) < 100_000
