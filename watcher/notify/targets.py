"""Local Apprise targets: `console://` (the default channel) and `jsonl://PATH` (a file of alerts).

Registered with Apprise's `notify` decorator, so a fresh install delivers with
no account, and tests and the demo exercise the real Apprise path.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

from apprise import NotifyFormat
from apprise.decorators import notify

from watcher.core.timestamps import iso, utc_now

_write_lock = threading.Lock()


@notify(on="console", name="watcher console", body_format=NotifyFormat.TEXT)
def console_target(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    """Print the alert as a block on stdout (or stderr with `console://stderr`), as plain text."""
    stream = sys.stderr if (meta.get("host") or "").lower() == "stderr" else sys.stdout
    rule = "─" * 72
    with _write_lock:
        stream.write(f"{rule}\n{title}\n\n{body.rstrip()}\n{rule}\n")
        stream.flush()
    return True


@notify(on="jsonl", name="watcher JSON lines file")
def jsonl_target(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    """Append `{"time", "type", "title", "body", "tags"}` to the file named by the URL's path.

    The path is always absolute: `jsonl:///var/lib/watcher/alerts.jsonl` (Apprise reads the
    first directory as a host, so a relative path cannot be told apart).
    """
    path = "/" + (meta.get("host") or "").strip("/") + (meta.get("fullpath") or "")
    if path == "/":
        return False
    record = {
        "time": iso(utc_now()),
        "type": str(notify_type),
        "title": title,
        "body": body,
        "tags": sorted(meta.get("tag") or []),
    }
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _write_lock:
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
    return True
