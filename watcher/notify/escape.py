"""Make text from watched pages safe to put in an alert.

A page title is untrusted: `<@U123>` would ping a Slack user, `<!here>` a whole
channel, `@everyone` a Discord server, `<script>` would reach e-mail HTML and
`[click](http://evil)` would disguise a link. Page text is therefore escaped as
CommonMark (Apprise turns `\\<` into `&lt;` for Slack and for HTML mail) and
bare mentions get an invisible joiner after the `@`.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()|~!])")
_LINE_START = re.compile(r"^(\s*)([#+\->=]|\d+[.)])", re.MULTILINE)
_MENTION = re.compile(r"@(here|channel|everyone|all|room)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_JOINER = "\u2060"


class Trusted(str):
    """Text watcher wrote itself (template literals, numbers it formatted): not escaped again."""


def markdown(text: object) -> str:
    """Escape untrusted text for a CommonMark body."""
    if isinstance(text, Trusted):
        return str(text)
    value = _CONTROL.sub("", "" if text is None else str(text))
    value = _MD_SPECIAL.sub(r"\\\1", value)
    value = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), value)
    return _MENTION.sub(lambda m: "@" + _JOINER + m.group(1), value)


def plain(text: object, limit: int = 250) -> str:
    """Untrusted text for a title or subject line: one line, no mentions, bounded length."""
    value = _CONTROL.sub("", "" if text is None else str(text))
    value = " ".join(value.split())
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
