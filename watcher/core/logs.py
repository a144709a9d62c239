"""Logging set-up: plain text for people, JSON lines for log shippers, and log lines that keep a progress bar whole."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_CLEAR = "\r\x1b[K"  # back to the line's start, erase it
_lock = threading.RLock()


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra={...}` fields are kept as keys."""

    _standard = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._standard and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class StatusLine:
    """The last line of a terminal (a progress bar): redrawn in place, and log records print above it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.text = ""

    def show(self, text: str) -> None:
        with _lock:
            self.text = text
            self.stream.write(_CLEAR + text)
            self.stream.flush()

    def clear(self) -> None:
        with _lock:
            if self.text:
                self.stream.write(_CLEAR)
                self.stream.flush()
            self.text = ""


_status: StatusLine | None = None


@contextmanager
def status_line(stream: TextIO) -> Iterator[StatusLine]:
    """A StatusLine on `stream` for the block; it is erased at the end, leaving the terminal clean."""
    global _status
    line = StatusLine(stream)
    with _lock:
        previous, _status = _status, line
    try:
        yield line
    finally:
        line.clear()
        with _lock:
            _status = previous


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each record on a line of its own, above the status line when one is shown on the same stream."""

    def emit(self, record: logging.LogRecord) -> None:
        line = _status
        if line is None or not line.text or line.stream is not self.stream:
            super().emit(record)
            return
        with _lock:
            self.stream.write(_CLEAR)
            super().emit(record)
            self.stream.write(line.text)
            self.stream.flush()


def setup_logging(level: str = "warning", fmt: str = "text") -> None:
    """Configure the root logger once for the process (idempotent for tests)."""
    handler = _StderrHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_watcher", False)]:
        root.removeHandler(old)
    handler._watcher = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # urllib3 logs full URLs with query strings at debug level; keep it quieter than ours. (Its per-attempt
    # "Retrying (...)" warnings no longer occur: watcher.fetch retries by itself, and logs one line per check.)
    logging.getLogger("urllib3").setLevel(max(logging.INFO, root.level))
