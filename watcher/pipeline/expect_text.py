"""The words of expectation alerts: a plain title and summary (for status and history), and the facts
the `overdue` templates render ("due by 03-31; met 2024-02-06, 2023-03-24 …")."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from watcher.analyze.expect import HISTORY_SHOWN, Evidence, Standing

if TYPE_CHECKING:
    from watcher.config.expect import Expect


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def what(expect: Expect) -> str:
    return expect.description or expect.name


def due_text(expect: Expect, due: date) -> str:
    return f"due by {expect.by}" if expect.by else f"due by {due.isoformat()} (every {expect.every})"


def overdue_text(expect: Expect, standing: Standing, reminder: int) -> tuple[str, str, dict[str, Any]]:
    """Title, summary and facts of an overdue alert (`reminder` 0) or of its n-th reminder."""
    late = standing.overdue_days
    due = due_text(expect, standing.due)
    if reminder:
        title = f"{what(expect)}: still overdue, {_days(late)} late ({due})"
    else:
        title = f"{what(expect)}: overdue by {_days(late)} ({due})"
    period = f"in {standing.period}" if expect.by else f"since {standing.period}"
    before = standing.history[:HISTORY_SHOWN]
    summary = f"Nothing matching {what(expect)!r} has appeared {period}; it was due by {standing.due.isoformat()}."
    if before:
        summary += " Met before: " + ", ".join(evidence.describe() for evidence in before)
        summary += " …" if len(standing.history) > len(before) else "."
    facts: dict[str, Any] = {
        "expectation": expect.name,
        "what": what(expect),
        "status": "reminder" if reminder else "overdue",
        "reminder": reminder,
        "due": standing.due.isoformat(),
        "due_text": due,
        "period": standing.period,
        "period_words": period,
        "overdue_days": late,
        "label": expect.label,
        "terms": list(expect.match),
        "sources": list(expect.sources) or ["every source"],
        "met_before": [_met(evidence) for evidence in before],
        "more_before": max(0, len(standing.history) - len(before)),
        "record": None,  # set below when it came later than in any earlier year
    }
    if standing.beyond_record_days > 0 and standing.latest_on_record is not None:
        since_year = min(evidence.year or evidence.day.year for evidence in standing.history)
        facts["record"] = {
            "latest": standing.latest_on_record.day.isoformat(),
            "days_beyond": standing.beyond_record_days,
            "since_year": since_year,
        }
        summary += (
            f" Later than in any year since {since_year}: {_days(standing.beyond_record_days)} past the latest, "
            f"{standing.latest_on_record.day.isoformat()}."
        )
    return title, summary, facts


def close_text(
    expect: Expect, met: Evidence, due: date, late: int, alert_id: int | None
) -> tuple[str, str, dict[str, Any]]:
    """Title, summary and facts of the message that closes an overdue alert."""
    title = f"{what(expect)}: arrived, {_days(late)} late" if late else f"{what(expect)}: arrived"
    summary = (
        f"{met.title or 'A matching notice'} ({met.day.isoformat()}) met it, {_days(late)} after {due.isoformat()}."
    )
    facts = {
        "expectation": expect.name,
        "what": what(expect),
        "status": "arrived",
        "due": due.isoformat(),
        "due_text": due_text(expect, due),
        "late_days": late,
        "met": _met(met),
        "alert_event_id": alert_id,
    }
    return title, summary, facts


def _met(evidence: Evidence) -> dict[str, Any]:
    return {
        "date": evidence.day.isoformat(),
        "withheld": evidence.withheld,
        "title": evidence.title,
        "url": evidence.url,
        "source": evidence.source,
        "kind": evidence.kind,
    }
