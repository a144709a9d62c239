"""Make text from watched pages safe to put in an alert.

A page title is untrusted: `<@U123>` would ping a Slack user, `<!here>` a whole
channel, `@everyone` a Discord server, `<script>` would reach e-mail HTML and
`[click](http://evil)` would disguise a link. Page text is therefore escaped as
CommonMark (Apprise turns `\\<` into `&lt;` for Slack and for HTML mail) and
bare mentions get an invisible joiner after the `@`.

Links a page writes without markup count too: Slack, mail clients and GFM
renderers turn a bare `http://evil.example`, `www.evil.example` or
`x@evil.example` into a live link. In page text such an address gets the same
invisible joiner after its scheme's colon and before each dot of its host, so
the reader sees the address the page wrote, and no client sees an address.
The only links in a message are the ones watcher builds with `safe_url`.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()|~!])")
_LINE_START = re.compile(r"^(\s*)([#+\->=]|\d+[.)])", re.MULTILINE)
_MENTION = re.compile(r"@(here|channel|everyone|all|room)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_JOINER = "\u2060"
# an address a linkifier would find: scheme://host, www.host, mailto:/xmpp:, user@host.tld
_ADDRESS = re.compile(
    r"(?P<scheme>\b[a-z][a-z0-9+.-]{0,15}:(?://|(?=[^\s/]*@)))(?P<host>[^\s/?#<>\[\]()'\"]*)"
    r"|\b(?P<www>www\d{0,3}\.)(?P<rest>[^\s/?#<>\[\]()'\"]*)"
    r"|(?P<user>[\w.+-]+@)(?P<domain>[\w-]+(?:\.[\w-]+)+)",
    re.IGNORECASE,
)


def _dots(host: str) -> str:
    return host.replace(".", _JOINER + ".")


def _defang_address(match: re.Match[str]) -> str:
    if match.group("scheme"):
        scheme = match.group("scheme")
        return scheme.replace(":", ":" + _JOINER, 1) + _dots(match.group("host"))
    if match.group("www"):
        return match.group("www")[:-1] + _JOINER + "." + _dots(match.group("rest"))
    return match.group("user") + _JOINER + _dots(match.group("domain"))


def defang(text: str) -> str:
    """Page text with every address in it made inert for linkifiers, and visibly unchanged."""
    return _ADDRESS.sub(_defang_address, text)


class Trusted(str):
    """Text watcher wrote itself (template literals, numbers it formatted): not escaped again."""


def markdown(text: object) -> str:
    """Escape untrusted text for a CommonMark body."""
    if isinstance(text, Trusted):
        return str(text)
    value = defang(_CONTROL.sub("", "" if text is None else str(text)))
    value = _MD_SPECIAL.sub(r"\\\1", value)
    value = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), value)
    return _MENTION.sub(lambda m: "@" + _JOINER + m.group(1), value)


def text(value: object) -> str:
    """Untrusted text for a plain-text body: written as the page wrote it (no Markdown escapes), with its
    addresses inert and its mentions neutralised; a channel that shows text shows nothing else."""
    if isinstance(value, Trusted):
        return str(value)
    out = defang(_CONTROL.sub("", "" if value is None else str(value)))
    return _MENTION.sub(lambda m: "@" + _JOINER + m.group(1), out)


def plain(text: object, limit: int = 250) -> str:
    """Untrusted text for a title or subject line: one line, no mentions, bounded length."""
    value = _CONTROL.sub("", "" if text is None else str(text))
    value = defang(" ".join(value.split()))
    value = value.replace("<", "‹").replace(">", "›")
    value = _MENTION.sub(lambda m: "@" + _JOINER + m.group(1), value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def safe_url(url: object) -> str:
    """An http(s) URL that cannot break out of a Markdown link, or "" for anything else."""
    value = str(url or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return quote(value, safe=":/?#@!$&'*+,;=%~-._")
