"""Where an expectation stands: met, due, in its grace time, or overdue - pure, from dated evidence.

Evidence is anything that met the expectation: a stored event, an item already on a page when
watching began (a baseline), or a row of the shipped history. For `by = "MM-DD"` the period is
the calendar year (UTC): the expectation is met by the year's first meeting, due by the end of
its due day, and overdue once the grace time after that has passed too; lateness is counted
from the due day. For `every`, it is due that long after the last meeting (or after watching
began, when it was never met).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol

from watcher.analyze.termmatch import Group, Matcher
from watcher.analyze.textnorm import normalize

HIGH_AFTER_DAYS = 30  # overdue this long (or later than every year on record) makes an alert high
HISTORY_SHOWN = 8


class EveryView(Protocol):
    def after(self, moment: datetime) -> datetime: ...


class ExpectView(Protocol):
    """What evaluation reads of an expectation; `config.expect.Expect` satisfies it."""

    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def match(self) -> tuple[str, ...]: ...
    @property
    def require(self) -> tuple[str, ...]: ...
    @property
    def facts(self) -> dict[str, int | str]: ...
    @property
    def by(self) -> str | None: ...
    @property
    def every(self) -> EveryView | None: ...
    @property
    def grace(self) -> float: ...
    @property
    def severity(self) -> str | None: ...
    def due_in(self, year: int) -> date: ...


@dataclass(frozen=True)
class Evidence:
    """One meeting of an expectation."""

    day: date
    kind: str  # event | item | history
    title: str = ""
    url: str = ""
    source: str = ""
    year: int | None = None  # the year the evidence is about (its facts), when it says
    event_id: int | None = None
    withheld: bool = False  # published without figures

    def describe(self) -> str:
        return f"{self.day}" + (" (figures withheld)" if self.withheld else "")


@dataclass
class Standing:
    """An expectation at one moment."""

    name: str
    status: str  # met | due | grace | overdue
    period: str  # the calendar year, or the day `every` counts from
    due: date
    alert_after: datetime
    met: Evidence | None = None
    overdue_days: int = 0
    history: list[Evidence] = field(default_factory=list)  # earlier meetings, newest first
    latest_on_record: Evidence | None = None  # `by`: the earlier meeting latest in its year
    beyond_record_days: int = 0  # days past the latest day of the year any earlier meeting came

    @property
    def late_days(self) -> int:
        """How late the meeting came (0: on time); only for a met standing."""
        return max(0, (self.met.day - self.due).days) if self.met is not None else 0


@lru_cache(maxsize=256)
def _matcher(terms: tuple[str, ...]) -> Matcher:
    return Matcher([Group("match", 1.0, tuple(normalize(term).lower() for term in terms))])


def _found(terms: tuple[str, ...], low: str) -> bool:
    return bool(terms) and bool(_matcher(terms).find(low))


def meets(spec: ExpectView, label: str, text: str, facts: dict[str, Any]) -> bool:
    """Whether an event (label, its title, summary and matched terms, its facts) meets `spec`.

    The label must be the expectation's, and a `require` term must appear. Facts decide first:
    one that contradicts `spec.facts` (batch 2 for a first-batch expectation, even if the notice
    says 不含已下达的第一批指标) rules the event out; all of them present and equal meet it.
    Otherwise a `match` term must appear.
    """
    if label != spec.label:
        return False
    low = normalize(text).lower()
    if spec.require and not _found(spec.require, low):
        return False
    present = 0
    for key, want in spec.facts.items():
        value = facts.get(key)
        if value is None:
            continue
        if str(value) != str(want):
            return False
        present += 1
    if spec.facts and present == len(spec.facts):
        return True
    return _found(spec.match, low)


def plausible(spec: ExpectView, text: str) -> bool:
    """Whether a text could meet `spec` once classified: its `require` and `match` terms are there (or,
    for an expectation decided by facts alone, its `require` terms). Spares classifying every item."""
    low = normalize(text).lower()
    if spec.require and not _found(spec.require, low):
        return False
    return _found(spec.match, low) or (not spec.match and bool(spec.facts))


def evidence_day(published: str | None, first_seen: str | None) -> date | None:
    """When evidence appeared: its published date when that is not later than when watcher saw it."""
    seen = _day(first_seen)
    stated = _day(published)
    if stated is not None and (seen is None or stated <= seen):
        return stated
    return seen


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def stand(spec: ExpectView, evidence: Sequence[Evidence], now: datetime, watching_since: datetime) -> Standing:
    """Where `spec` stands at `now`, given every piece of evidence found."""
    if spec.by is not None:
        return _yearly(spec, evidence, now)
    return _periodic(spec, evidence, now, watching_since)


def _yearly(spec: ExpectView, evidence: Sequence[Evidence], now: datetime) -> Standing:
    year = now.year
    first: dict[int, Evidence] = {}
    for item in sorted(evidence, key=lambda e: (e.day, e.kind != "event")):
        first.setdefault(item.year or item.day.year, item)
    due = spec.due_in(year)
    standing = Standing(
        spec.name, "met", str(year), due, _end_of(due) + timedelta(seconds=spec.grace), met=first.get(year)
    )
    standing.history = [first[y] for y in sorted(first, reverse=True) if y < year]
    if standing.met is None:
        standing.status = _timing(now, due, standing.alert_after)
        standing.overdue_days = max(0, (now.date() - due).days)
        if standing.history:
            latest = max(standing.history, key=lambda e: (e.day.month, e.day.day))
            standing.latest_on_record = latest
            day = min(latest.day.day, 28) if (latest.day.month, latest.day.day) == (2, 29) else latest.day.day
            standing.beyond_record_days = max(0, (now.date() - date(year, latest.day.month, day)).days)
    return standing


def _periodic(spec: ExpectView, evidence: Sequence[Evidence], now: datetime, watching_since: datetime) -> Standing:
    assert spec.every is not None
    dated = sorted(evidence, key=lambda e: e.day, reverse=True)
    last = dated[0] if dated else None
    anchor = datetime.combine(last.day, time(), tzinfo=UTC) if last is not None else watching_since
    due = spec.every.after(anchor).date()
    standing = Standing(spec.name, "met", anchor.date().isoformat(), due, _end_of(due) + timedelta(seconds=spec.grace))
    standing.met = last
    standing.history = dated[1 : 1 + HISTORY_SHOWN] if last is not None else []
    if now >= _end_of(due):
        standing.met = None
        standing.history = dated[:HISTORY_SHOWN]
        standing.status = _timing(now, due, standing.alert_after)
        standing.overdue_days = max(0, (now.date() - due).days)
    elif last is None:
        standing.status = "due"
    return standing


def _timing(now: datetime, due: date, alert_after: datetime) -> str:
    if now < _end_of(due):
        return "due"
    return "grace" if now < alert_after else "overdue"


def severity(spec: ExpectView, standing: Standing) -> str:
    """The documented rule: the entry's `severity` when set; else high when the notice is 30 days or more
    overdue or later than in any earlier year on record, medium otherwise."""
    if spec.severity:
        return spec.severity
    if standing.overdue_days >= HIGH_AFTER_DAYS or standing.beyond_record_days > 0:
        return "high"
    return "medium"
