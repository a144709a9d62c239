"""One message to send: a title, a Markdown body and an Apprise notification type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    notify_type: str = "info"
