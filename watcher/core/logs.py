"""Logging set-up: plain text for people, JSON lines for log shippers, no secret in any line, and log lines
that keep a progress bar whole.

Channel secrets (Apprise tokens and passwords, `${VAR}` values in apprise.yml) are registered with
`add_secrets` when the channels load, and masked as `****` in every log record, whatever logger wrote it:
a record factory masks each record's message and traceback as it is made (so every handler, ours or not,
sees the masked text), and our formatters mask the finished line (extra fields included). Apprise's own
debug logging dumps the configuration it loads, before we can know which of its words are secrets:
`held()` keeps the records of that moment back and lets them out masked once the secrets are known.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO
from urllib.parse import quote, unquote

_CLEAR = "\r\x1b[K"  # back to the line's start, erase it
_line_lock = threading.RLock()  # one writer at a time on stderr, bar or log line
MASK = "****"
MIN_SECRET = 4  # shorter values (a port, "yes") would blank out ordinary words of every log line

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_previous_factory = logging.getLogRecordFactory()


def add_secrets(values: Iterable[object]) -> None:
    """Mask these values (and their URL-encoded forms) in every log record from now on."""
    global _pattern
    found = set()
    for value in values:
        text = str(value or "").strip()
        for form in (text, quote(text, safe=""), quote(text, safe="/:"), unquote(text)):
            if len(form) >= MIN_SECRET:
                found.add(form)
    with _lock:
        if found <= _secrets:
            return
        _secrets.update(found)
        ordered = sorted(_secrets, key=len, reverse=True)  # a longer secret first, so no tail of it is left
        _pattern = re.compile("|".join(re.escape(secret) for secret in ordered))
    _install_factory()


def mask(text: str) -> str:
    """`text` with every registered secret replaced by ****."""
    pattern = _pattern
    return pattern.sub(MASK, text) if pattern is not None and text else text


def _mask_record(record: logging.LogRecord) -> None:
    if _pattern is None:
        return
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it itself
        return
    masked = mask(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)


def _factory(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _previous_factory(*args, **kwargs)
    _mask_record(record)
    return record


def _install_factory() -> None:
    if logging.getLogRecordFactory() is not _factory:
        logging.setLogRecordFactory(_factory)


class _Buffer(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def held(name: str = "apprise") -> Iterator[None]:
    """Keep back the records of logger `name` (and its children) until the block ends, then let them out
    masked with the secrets registered inside the block."""
    logger = logging.getLogger(name)
    buffer = _Buffer()
    with _lock:
        handlers, propagate = logger.handlers[:], logger.propagate
        logger.handlers, logger.propagate = [buffer], False
    try:
        yield
    finally:
        with _lock:
            logger.handlers, logger.propagate = handlers, propagate
        for record in buffer.records:
            _mask_record(record)
            logger.handle(record)


class TextFormatter(logging.Formatter):
    """The human format, with secrets masked in the finished line."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra={...}` fields are kept as keys; secrets masked in every value."""

    _standard = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in self._standard and not key.startswith("_"):
                data[key] = mask(value) if isinstance(value, str) else value
        if record.exc_info or record.exc_text:
            shown = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else "")
            data["exception"] = mask(shown)
        return mask(json.dumps(data, ensure_ascii=False, default=lambda value: mask(str(value))))


class StatusLine:
    """The last line of a terminal (a progress bar): redrawn in place, and log records print above it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.text = ""

    def show(self, text: str) -> None:
        with _line_lock:
            self.text = text
            self.stream.write(_CLEAR + text)
            self.stream.flush()

    def clear(self) -> None:
        with _line_lock:
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
    with _line_lock:
        previous, _status = _status, line
    try:
        yield line
    finally:
        line.clear()
        with _line_lock:
            _status = previous


class _StderrHandler(logging.StreamHandler):
    """Writes each record on a line of its own, above the status line when one is shown on the same stream."""

    _watcher = True  # marks the handler setup_logging installed, so a second call replaces it

    def emit(self, record: logging.LogRecord) -> None:
        line = _status
        if line is None or not line.text or line.stream is not self.stream:
            super().emit(record)
            return
        with _line_lock:
            self.stream.write(_CLEAR)
            super().emit(record)
            self.stream.write(line.text)
            self.stream.flush()


def setup_logging(level: str = "warning", fmt: str = "text") -> None:
    """Configure the root logger once for the process (idempotent for tests)."""
    _install_factory()
    handler = _StderrHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_watcher", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # urllib3 logs full URLs with query strings at debug level; keep it quieter than ours. (Its per-attempt
    # "Retrying (...)" warnings no longer occur: watcher.fetch retries by itself, and logs one line per check.)
    logging.getLogger("urllib3").setLevel(max(logging.INFO, root.level))
