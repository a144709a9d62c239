"""Typed errors, each carrying a hint a user can act on.

The CLI turns any WatcherError into a short message and an exit code; a
traceback never reaches the user.
"""

from __future__ import annotations


class WatcherError(Exception):
    """Base of every error watcher reports to a person."""

    hint: str | None = None

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message}\n  hint: {self.hint}" if self.hint else message


class ConfigError(WatcherError):
    """sources.toml or alerts/ is invalid; holds every problem found, not just the first."""

    def __init__(self, problems: list[str] | str, hint: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems), hint)


class FetchError(WatcherError):
    """A page could not be fetched: network, HTTP status, size or time limits."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = "fetch") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class ExtractError(WatcherError):
    """A fetched page could not be turned into items (bad JSON, broken feed...)."""


class BrokenSourceError(ExtractError):
    """The source's selector stopped matching: the page changed shape, not its content."""


class StateError(WatcherError):
    """The state directory or database cannot be used (locked, full, read-only)."""
