"""Who may read: the token check (header or login cookie) and what counts as a loopback address.

The login cookie holds an HMAC of the token rather than the token, so a copied cookie is not the token.
Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress

from flask import request

COOKIE = "watcher_session"


def session_value(token: str) -> str:
    """What the login cookie holds: a keyed hash of the token, useless as the token itself."""
    return hmac.new(token.encode("utf-8"), b"watcher web session", hashlib.sha256).hexdigest()


def token_matches(token: str, given: str) -> bool:
    return hmac.compare_digest(token.encode("utf-8"), given.encode("utf-8"))


def authorised(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and token_matches(token, value.strip()):
        return True
    if scheme.lower() == "basic":
        try:
            _, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return token_matches(token, password)
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie, session_value(token))


def loopback_host(host: str) -> bool:
    """Whether the Host header names this machine: localhost, 127.0.0.0/8 or ::1 (with any port)."""
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    if name.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def loopback_bind(host: str) -> bool:
    """Whether a listening address is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
