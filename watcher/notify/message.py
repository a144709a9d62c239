"""One message to send: a title, a Markdown body, the same body as plain text, and an Apprise type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """`body` is Markdown (Slack, e-mail, webhooks: Apprise converts it per channel); `text` is the plain-text
    rendering for channels that show text as it is (SMS, ntfy, the console), "" when there is none."""

    title: str
    body: str
    notify_type: str = "info"
    text: str = ""
