"""`demo://CHANNEL`: a local Apprise target that prints each alert as a Slack-like card.

The demo delivers through the real outbox and Apprise, like production; only
the last hop is local. The body goes through Apprise's own CommonMark to Slack
mrkdwn conversion (what a Slack channel would receive), then is drawn for a
terminal: the channel name, the title in bold, a coloured bar by message type
on a TTY, plain text otherwise (click strips the colours when stdout is not a
terminal).
"""

from __future__ import annotations

import html
import inspect
import re
import shutil
import time
from typing import Any

import click
from apprise import NotifyFormat
from apprise.decorators import notify

from watcher.core.textwidth import char_width, width

_BAR = {"warning": "yellow", "failure": "red", "success": "green", "info": "blue"}
_LINK = re.compile(r"<((?:https?|mailto)://[^|>\s]+)(?:\|([^>]*))?>")
_BOLD = re.compile(r"(?<![\w*\\])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>])")


def to_slack(markdown: str) -> str:
    """The body as Slack would receive it: Apprise's CommonMark -> mrkdwn (unchanged with an Apprise without it)."""
    try:
        from apprise.plugins.slack import NotifySlack
    except ImportError:  # pragma: no cover - older Apprise layouts
        return markdown
    convert = getattr(NotifySlack, "_commonmark_to_slack", None)
    return convert(markdown) if convert is not None else markdown


def card(
    channel: str,
    title: str,
    body: str,
    notify_type: str = "info",
    width: int | None = None,
    clock: Any = time.localtime,
) -> str:
    """A Slack-like card for a terminal: header, bold title, body with links spelled out."""
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 110)
    bar = click.style("┃", fg=_BAR.get(notify_type, "blue"), bold=True)
    header = (
        click.style(f"#{channel}", bold=True)
        + "  "
        + click.style("watcher", bold=True)
        + " "
        + click.style("APP", dim=True)
        + "  "
        + click.style(time.strftime("%H:%M", clock()), dim=True)
    )
    lines = [header, bar + " " + click.style(title, bold=True), bar]
    for paragraph in _terminal_text(to_slack(body)).splitlines():
        for piece in _wrap(paragraph, max(width - 4, 40)) or [""]:
            lines.append(f"{bar} {piece}".rstrip())
    return "\n".join(lines)


def _terminal_text(mrkdwn: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), mrkdwn)
    text = _BOLD.sub(lambda m: click.style(m.group(1), bold=True), text)
    text = _ESCAPED.sub(r"\1", text)
    return html.unescape(text)


def _width(text: str) -> int:
    return width(click.unstyle(text))


def _wrap(text: str, width: int) -> list[str]:
    """Cut a line to a display width (CJK characters take two columns), at spaces when there are any."""
    if _width(text) <= width:
        return [text] if text else []
    lines, current = [], ""
    for token in re.findall(r"\x1b\[[0-9;]*m|\S+\s*|\s+", text):
        if _width(current + token) <= width:
            current += token
            continue
        if current.strip():
            lines.append(current.rstrip())
            current = ""
        while _width(token) > width:  # one long word or a run of CJK text
            cut = _fit(token, width)
            lines.append(token[:cut])
            token = token[cut:]
        current += token
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _fit(token: str, width: int) -> int:
    used = 0
    for index, char in enumerate(token):
        used += char_width(char)
        if used > width:
            return max(index, 1)
    return len(token)


def demo_target(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    """Print the alert as a card for the channel named by the URL's host (`demo://procurement`)."""
    click.echo(card(meta.get("host") or "alerts", title, body, str(notify_type)))
    return True


def _register() -> None:
    options: dict[str, Any] = {"on": "demo", "name": "watcher demo (Slack-like cards on the terminal)"}
    if "body_format" in inspect.signature(notify).parameters:  # Apprise 1.9 has no body_format: it sends text
        options["body_format"] = NotifyFormat.MARKDOWN
    notify(**options)(demo_target)


_register()
