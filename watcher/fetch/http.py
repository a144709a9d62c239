"""HTTP for checks: one deadline, retries, size cap, conditional GET, per-host spacing and where a fetch may go.

`timeout` is the whole fetch: every attempt, the backoff and Retry-After waits
between them, every redirect and the body read, also when a server trickles
bytes slower than any socket timeout would notice (a watchdog cuts the
connection at the deadline). Waiting for a turn at a busy host is not part of
it: spacing is watcher's own politeness, bounded separately (`max_turn_wait`)
and reported as such. Retries and redirects are done here rather than inside
urllib3, so each is bounded by the deadline, each redirect is checked against
the source's Reach (`watcher.fetch.reach`), and nothing is logged per attempt.

One `requests.Session` per worker thread keeps connections alive per host.
Everything that can go wrong becomes a FetchError with a short reason that the
check log, `watcher status` and health alerts show.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from urllib.parse import urljoin

import requests

from watcher.core.errors import FetchError
from watcher.core.models import Fetched, Validators
from watcher.fetch.guard import AddressRefused, Guard, GuardedAdapter, Resolver, guarding, system_resolver
from watcher.fetch.pace import Deadline, HostGate
from watcher.fetch.reach import Reach, endpoint_of

log = logging.getLogger(__name__)

MAX_REDIRECTS = 10
CHUNK = 64 * 1024
CONNECT_TIMEOUT = 10.0
MAX_RETRY_AFTER = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Fetcher:
    """Fetches URLs for checks; safe to share between worker threads.

    `resolver` (host, port -> addresses) is what guarded connections resolve with; tests give one that
    maps invented names to loopback addresses, to prove the address check looks at the connected address.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        host_interval: float = 1.0,
        backoff_factor: float = 0.5,
        gate: HostGate | None = None,
        resolver: Resolver = system_resolver,
        max_turn_wait: float = 300.0,
    ) -> None:
        self.user_agent = user_agent
        self.backoff_factor = backoff_factor
        self.gate = gate or HostGate(host_interval, max_wait=max_turn_wait)
        self.resolver = resolver
        self._local = threading.local()

    def session(self) -> requests.Session:
        """This thread's session (sessions keep connections alive per host)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._new_session()
        return session

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        # requests re-reads proxy, CA-bundle and netrc settings from the environment on every request (about
        # half a millisecond each): read the CA bundle once here, and let requests look only when the
        # environment sets proxies or netrc, whose per-URL rules it must apply.
        session.trust_env = _proxies_or_netrc()
        if not session.trust_env:
            session.verify = _ca_bundle() or True
        adapter = GuardedAdapter(max_retries=0, pool_connections=4, pool_maxsize=4)
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
        reach: Reach | None = None,
    ) -> Fetched:
        """GET a URL within one deadline; a 304 comes back as `not_modified`.

        `reach` says where this fetch and its redirects may go (default: the URL's own site).
        """
        started = time.monotonic()
        reach = reach or Reach.of(url)
        request_headers = {"User-Agent": user_agent or self.user_agent, "Accept-Encoding": "gzip, deflate"}
        request_headers.update(headers or {})
        if validators is not None:
            if validators.etag:
                request_headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                request_headers["If-Modified-Since"] = validators.last_modified
        guard = Guard(reach, self.resolver)
        deadline = Deadline(timeout, guard)
        with guarding(guard):
            try:
                return self._fetch(url, request_headers, reach, guard, deadline, max_bytes, retries, started)
            finally:
                deadline.cancel()

    def _fetch(
        self,
        url: str,
        headers: dict[str, str],
        reach: Reach,
        guard: Guard,
        deadline: Deadline,
        max_bytes: int,
        retries: int,
        started: float,
    ) -> Fetched:
        current, gated, hops = url, None, 0
        while True:
            host, port = reach.check(current, "link" if hops == 0 else "redirect")
            if host != gated:  # the first request to each host of this fetch waits for its turn there
                deadline.extend(self.gate.wait(host))
                gated = host
            response = self._send(current, headers, guard, deadline, retries)
            if not response.is_redirect:
                break
            target = self.session().get_redirect_target(response)
            response.close()
            hops += 1
            if hops > MAX_REDIRECTS:
                raise FetchError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?)", reason="redirects")
            following = urljoin(current, target)
            if endpoint_of(following) != (host, port):
                headers = {key: value for key, value in headers.items() if key.lower() != "authorization"}
            current = following

        with response:
            response_headers = {key.lower(): value for key, value in response.headers.items()}
            if response.status_code == 304:
                _ = response.content  # an unread response would close its keep-alive connection
                return Fetched(
                    url=url,
                    final_url=current,
                    status=304,
                    headers=response_headers,
                    not_modified=True,
                    elapsed=time.monotonic() - started,
                )
            if response.status_code >= 400:
                raise FetchError(_status_text(response), status=response.status_code, reason="http")
            content = self._read_capped(response, max_bytes, deadline)
        if not content and 200 <= response.status_code < 300:
            raise FetchError(
                f"empty body (HTTP {response.status_code}, 0 bytes)", status=response.status_code, reason="empty"
            )
        return Fetched(
            url=url,
            final_url=current,
            status=response.status_code,
            headers=response_headers,
            content=content,
            elapsed=time.monotonic() - started,
        )

    def _send(
        self, url: str, headers: dict[str, str], guard: Guard, deadline: Deadline, retries: int
    ) -> requests.Response:
        """One GET, retried on connection errors, timeouts, 429 and 5xx while the deadline allows."""
        session = self.session()
        proxied = session.trust_env and bool(requests.utils.get_environ_proxies(url))
        attempt = 0
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                raise _timeout(deadline, attempt)
            try:
                if proxied:
                    # the URL was vetted before the fetch (http(s) with a host): endpoint_of is never None here
                    guard.check_proxied(*endpoint_of(url))  # type: ignore[misc]
                response = session.get(
                    url,
                    headers=headers,
                    timeout=(min(CONNECT_TIMEOUT, remaining), remaining),
                    stream=True,
                    allow_redirects=False,
                )
            except AddressRefused as error:
                raise FetchError(str(error), reason="refused") from None
            except requests.exceptions.RequestException as error:
                failure = _failure(error, deadline, attempt + 1)
                if failure.reason not in ("connection", "timeout") or attempt >= retries:
                    raise failure from None
                wait = self._backoff(attempt)
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= retries:
                    return response
                asked = _retry_after(response)
                if asked is not None and asked >= deadline.remaining():
                    response.close()
                    raise FetchError(
                        f"{_status_text(response)}: asks to retry after {asked:g}s, past the {deadline.seconds:g}s "
                        "timeout",
                        status=response.status_code,
                        reason="http",
                    )
                failure = FetchError(_status_text(response), status=response.status_code, reason="http")
                response.close()
                wait = self._backoff(attempt) if asked is None else asked
            if wait >= deadline.remaining():  # no time for another attempt: the last answer stands
                raise failure
            log.debug("retrying %s in %.2fs after: %s", url, wait, failure)
            time.sleep(wait)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        return min(30.0, self.backoff_factor * (2**attempt))

    @staticmethod
    def _read_capped(response: requests.Response, max_bytes: int, deadline: Deadline) -> bytes:
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
                if deadline.expired or deadline.remaining() <= 0:
                    break
                chunks.append(chunk)
        except requests.exceptions.RequestException as error:
            if not deadline.expired:
                raise FetchError(
                    f"connection broke while reading: {_root_cause(error)}",
                    status=response.status_code,
                    reason="connection",
                ) from None
        if deadline.expired or deadline.remaining() <= 0:  # cut by the watchdog: what arrived is not the page
            raise FetchError(
                f"body not received within {deadline.seconds:g}s" + (f" ({size:,} bytes by then)" if size else ""),
                status=response.status_code,
                reason="timeout",
            )
        return b"".join(chunks)


def _status_text(response: requests.Response) -> str:
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


def _retry_after(response: requests.Response) -> float | None:
    """Seconds a Retry-After header asks for (number or HTTP date), at most MAX_RETRY_AFTER; None if absent."""
    value = (response.headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def _timeout(deadline: Deadline, attempts: int) -> FetchError:
    tries = f" ({attempts} attempts)" if attempts > 1 else ""
    return FetchError(f"no response within {deadline.seconds:g}s{tries}", reason="timeout")


def _failure(error: requests.exceptions.RequestException, deadline: Deadline, attempts: int) -> FetchError:
    """The FetchError for a failed attempt; `reason` says whether another attempt may help."""
    if deadline.expired or isinstance(error, requests.exceptions.ReadTimeout) or _timed_out(error):
        return _timeout(deadline, attempts)
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return FetchError(f"connection timed out after {min(CONNECT_TIMEOUT, deadline.seconds):g}s", reason="timeout")
    if isinstance(error, requests.exceptions.SSLError):
        return FetchError(f"TLS error: {_root_cause(error)}", reason="tls")
    if isinstance(error, requests.exceptions.ConnectionError):
        return FetchError(f"cannot connect: {_root_cause(error)}", reason="connection")
    return FetchError(f"request failed: {_root_cause(error)}", reason="request")


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
