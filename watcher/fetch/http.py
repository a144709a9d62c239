"""HTTP for checks: retries, deadlines, size cap, conditional GET and per-host spacing.

One `requests.Session` per worker thread keeps connections alive per host.
Everything that can go wrong becomes a FetchError with a short reason that the
check log and health alerts can show.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from watcher.core.errors import FetchError
from watcher.core.models import Fetched, Validators

log = logging.getLogger(__name__)

MAX_REDIRECTS = 10
CHUNK = 64 * 1024


class _BoundedRetry(Retry):
    """urllib3 Retry that never sleeps longer than `max_retry_after` on a Retry-After header."""

    max_retry_after = 30.0

    def get_retry_after(self, response):  # type: ignore[no-untyped-def]
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.max_retry_after)


class HostGate:
    """Spaces requests to one host by a minimum interval, across threads.

    Each caller reserves the next free slot for its host and sleeps until it,
    so eight workers on one ministry site still arrive one at a time.
    """

    def __init__(
        self, interval: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, deadline: float | None = None) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.interval
        delay = slot - now
        if deadline is not None and now + delay > deadline:
            raise FetchError(
                f"waited too long for a turn at {host} (host_interval {self.interval:g}s)", reason="timeout"
            )
        if delay > 0:
            self._sleep(delay)


class Fetcher:
    """Fetches URLs for checks; safe to share between worker threads."""

    def __init__(
        self, *, user_agent: str, host_interval: float = 1.0, backoff_factor: float = 0.5, gate: HostGate | None = None
    ) -> None:
        self.user_agent = user_agent
        self.backoff_factor = backoff_factor
        self.gate = gate or HostGate(host_interval)
        self._local = threading.local()

    def session(self, retries: int = 3) -> requests.Session:
        """This thread's session for a retry budget (sessions keep connections alive per host)."""
        sessions = getattr(self._local, "sessions", None)
        if sessions is None:
            sessions = self._local.sessions = {}
        session = sessions.get(retries)
        if session is None:
            session = sessions[retries] = self._new_session(retries)
        return session

    def _new_session(self, retries: int) -> requests.Session:
        session = requests.Session()
        session.max_redirects = MAX_REDIRECTS
        # requests re-reads proxy, CA-bundle and netrc settings from the environment on every request (about
        # half a millisecond each): read the CA bundle once here, and let requests look only when the
        # environment sets proxies or netrc, whose per-URL rules it must apply.
        session.trust_env = _proxies_or_netrc()
        if not session.trust_env:
            session.verify = _ca_bundle() or True
        retry = _BoundedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            redirect=False,
            backoff_factor=self.backoff_factor,
            backoff_max=30,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=4)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def fetch(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        max_bytes: int = 10_000_000,
        headers: dict[str, str] | None = None,
        validators: Validators | None = None,
        user_agent: str | None = None,
        retries: int = 3,
    ) -> Fetched:
        """GET a URL within a total deadline; a 304 comes back as `not_modified`."""
        started = time.monotonic()
        deadline = started + timeout
        request_headers = {"User-Agent": user_agent or self.user_agent, "Accept-Encoding": "gzip, deflate"}
        request_headers.update(headers or {})
        if validators is not None:
            if validators.etag:
                request_headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                request_headers["If-Modified-Since"] = validators.last_modified

        self.gate.wait(urlsplit(url).hostname or "", deadline)
        connect_timeout = min(10.0, timeout)
        try:
            response = self.session(retries).get(
                url,
                headers=request_headers,
                timeout=(connect_timeout, timeout),
                stream=True,
                allow_redirects=True,
            )
        except requests.exceptions.TooManyRedirects:
            raise FetchError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?)", reason="redirects") from None
        except requests.exceptions.ConnectTimeout:
            raise FetchError(f"connection timed out after {connect_timeout:g}s", reason="timeout") from None
        except requests.exceptions.ReadTimeout:
            raise FetchError(f"no response within {timeout:g}s", reason="timeout") from None
        except requests.exceptions.SSLError as error:
            raise FetchError(f"TLS error: {_root_cause(error)}", reason="tls") from None
        except requests.exceptions.ConnectionError as error:
            if _timed_out(error):  # a read timeout after the last retry arrives wrapped as a connection error
                raise FetchError(f"no response within {timeout:g}s", reason="timeout") from None
            raise FetchError(f"cannot connect: {_root_cause(error)}", reason="connection") from None
        except requests.exceptions.RequestException as error:
            raise FetchError(f"request failed: {_root_cause(error)}", reason="request") from None

        with response:
            response_headers = {key.lower(): value for key, value in response.headers.items()}
            if response.status_code == 304:
                _ = response.content  # an unread response would close its keep-alive connection
                return Fetched(
                    url=url,
                    final_url=response.url,
                    status=304,
                    headers=response_headers,
                    not_modified=True,
                    elapsed=time.monotonic() - started,
                )
            if response.status_code >= 400:
                raise FetchError(
                    f"HTTP {response.status_code} {response.reason or ''}".strip(),
                    status=response.status_code,
                    reason="http",
                )
            content = self._read_capped(response, max_bytes, deadline, timeout)
        return Fetched(
            url=url,
            final_url=response.url,
            status=response.status_code,
            headers=response_headers,
            content=content,
            elapsed=time.monotonic() - started,
        )

    @staticmethod
    def _read_capped(response: requests.Response, max_bytes: int, deadline: float, timeout: float) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(
                f"body of {int(declared):,} bytes exceeds the {max_bytes:,}-byte cap (max_bytes)",
                status=response.status_code,
                reason="too_large",
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(
                        f"body exceeds the {max_bytes:,}-byte cap (max_bytes)",
                        status=response.status_code,
                        reason="too_large",
                    )
                if time.monotonic() > deadline:
                    raise FetchError(
                        f"body not received within {timeout:g}s", status=response.status_code, reason="timeout"
                    )
                chunks.append(chunk)
        except requests.exceptions.RequestException as error:
            raise FetchError(
                f"connection broke while reading: {_root_cause(error)}",
                status=response.status_code,
                reason="connection",
            ) from None
        return b"".join(chunks)


def _proxies_or_netrc() -> bool:
    """Whether the environment sets proxies (with their no_proxy rules) or a netrc file for requests to apply."""
    import os
    from urllib.request import getproxies

    return bool(getproxies()) or "NETRC" in os.environ or os.path.exists(os.path.expanduser("~/.netrc"))


def _ca_bundle() -> str | None:
    """The CA bundle requests would take from the environment (REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE)."""
    import os

    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _timed_out(error: BaseException) -> bool:
    from urllib3.exceptions import MaxRetryError, ReadTimeoutError

    cause = error.args[0] if error.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, ReadTimeoutError)


def _root_cause(error: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, without the long wrapper text."""
    seen = error
    while True:
        inner = getattr(seen, "reason", None) or seen.__context__ or seen.__cause__
        if inner is None or inner is seen or not isinstance(inner, BaseException):
            break
        seen = inner
    text = str(seen) or seen.__class__.__name__
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text.lower():
        return "host name not found (DNS)"
    if "Connection refused" in text:
        return "connection refused"
    if "Max retries exceeded" in text and "(Caused by" in text:
        text = text.split("(Caused by", 1)[1].rstrip(")")
    return text.strip()[:200]
