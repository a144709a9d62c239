"""The `[[expect]]` tables of sources.toml: notices that should appear, and by when.

An expectation names what an event must carry to meet it (a label, terms in English and
Chinese, optionally facts such as `batch = 1`), which sources may report it, and when it is
due: `by = "MM-DD"` every calendar year, or `every = "6mo"` after the last time it was met.
Mistakes are reported like every other entry's: file, entry, key, and what is allowed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from watcher.config.fields import NAME, Duration
from watcher.core.labels import IRRELEVANT, OVERDUE, shipped
from watcher.core.units import parse_duration

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_EVERY = re.compile(r"^\s*(\d+)\s*(mo|y|w)\s*$")


@dataclass(frozen=True, slots=True)
class Every:
    """A repeat interval in calendar months (`6mo`, `1y`) or in seconds (`2w`, `180d`, `12h`)."""

    months: int = 0
    seconds: float = 0.0

    def after(self, moment: datetime) -> datetime:
        """`moment` plus this interval; a month step keeps the day, clamped to the month's last day."""
        if self.months:
            index = moment.month - 1 + self.months
            year, month = moment.year + index // 12, index % 12 + 1
            last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
            moment = moment.replace(year=year, month=month, day=min(moment.day, last))
        return moment + timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        if self.months:
            return f"{self.months // 12}y" if self.months % 12 == 0 else f"{self.months}mo"
        days = self.seconds / 86400
        return f"{days:g}d" if days >= 1 else f"{self.seconds:g}s"


def parse_every(value: Any) -> Every:
    """'6mo', '1y', '2w', or any duration ('180d', '12h')."""
    if isinstance(value, Every):
        return value
    match = _EVERY.match(str(value)) if isinstance(value, str) else None
    if match:
        count, unit = int(match.group(1)), match.group(2)
        if count == 0:
            raise ValueError("the interval must be longer than zero")
        if unit == "w":
            return Every(seconds=count * 7 * 86400.0)
        return Every(months=count * (12 if unit == "y" else 1))
    try:
        seconds = parse_duration(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an interval: use e.g. '6mo', '1y', '2w' or '90d'") from None
    if seconds <= 0:
        raise ValueError("the interval must be longer than zero")
    return Every(seconds=seconds)


def _terms(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Expect(BaseModel):
    """One expected notice: what meets it, who may report it, and when it is due."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    name: str = Field(description="a unique name, shown in alerts, `watcher status` and /metrics")
    description: str = Field("", description="what is expected, in a buyer's words, e.g. 'first-batch quota notice'")
    label: str = Field(description="the label a meeting event must have")

    @field_validator("label")
    @classmethod
    def _a_classification(cls, value: str, info: ValidationInfo) -> str:
        """A label the classifier can give (the shipped ones and those of [settings] lexicon)."""
        labels = (info.context or {}).get("labels") or shipped()
        allowed = [label for label in labels.relevant if label != OVERDUE]
        if value not in allowed:
            raise ValueError(
                f"must be one of {', '.join(map(repr, allowed))}; {IRRELEVANT!r} and {OVERDUE!r} meet nothing"
            )
        return value

    match: Annotated[tuple[str, ...], BeforeValidator(_terms)] = Field(
        (), description="terms, any of which a meeting event's text must contain, e.g. ['第一批', 'first batch']"
    )
    require: Annotated[tuple[str, ...], BeforeValidator(_terms)] = Field(
        (), description="terms, one of which must also appear, e.g. ['稀土', 'rare earth']"
    )
    facts: dict[str, int | str] = Field(
        default_factory=dict,
        description="facts the event must not contradict, e.g. { batch = 1 }; when it carries all of them "
        "and they agree, no `match` term is needed",
    )
    sources: tuple[str, ...] = Field((), description="source names or glob patterns; empty: every source")
    by: str | None = Field(None, description="due every calendar year by this day, 'MM-DD' (UTC)")
    every: Annotated[Every | None, BeforeValidator(lambda v: None if v is None else parse_every(v))] = Field(
        None, description="due this long after it was last met, e.g. '6mo', '1y', '90d'"
    )
    grace: Duration = Field(0.0, ge=0, description="quiet time after the due date before the overdue alert")
    repeat: Duration = Field(7 * 86400.0, ge=3600, description="an open overdue alert repeats at most this often")
    severity: Literal["high", "medium", "low"] | None = Field(
        None, description="fixed severity of the alerts; default: the documented rule"
    )
    history: str | None = Field(
        None, description="earlier dates to compare with: a shipped data set ('quota_history') or a TOML path"
    )
    tags: tuple[str, ...] = Field((), description="labels that alert routes match with `source_tags`")
    notify: tuple[str, ...] = Field((), description="extra Apprise tags that receive this expectation's alerts")
    enabled: bool = Field(True, description="false keeps the entry but never evaluates it")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("use letters, digits, '.', '-' or '_' (at most 64 characters)")
        return value

    @field_validator("by")
    @classmethod
    def _month_day(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _MONTH_DAY.match(value)
        try:
            if match is None:
                raise ValueError
            date(2024, int(match.group(1)), int(match.group(2)))  # a leap year: 02-29 is allowed
        except ValueError:
            raise ValueError(f"{value!r} is not a day of the year; write 'MM-DD', e.g. '03-31'") from None
        return value

    @field_validator("match", "require")
    @classmethod
    def _no_blank_terms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not term.strip() for term in value):
            raise ValueError("terms cannot be blank")
        return tuple(term.strip() for term in value)

    @property
    def source_name(self) -> str:
        """The name its alerts are routed and recorded under: route `sources = ["expect:*"]` matches them all."""
        return f"expect:{self.name}"

    def watches(self, source: str) -> bool:
        return not self.sources or any(fnmatch.fnmatchcase(source, pattern) for pattern in self.sources)

    def due_in(self, year: int) -> date:
        """The due day of a calendar year (`by` only); 02-29 falls on 02-28 in other years."""
        assert self.by is not None
        month, day = int(self.by[:2]), int(self.by[3:])
        if (month, day) == (2, 29) and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
            day = 28
        return date(year, month, day)

    def when(self) -> str:
        return f"due by {self.by} every year" if self.by else f"due every {self.every}"


Validate = Callable[[type[BaseModel], Any, str, list[str]], Any]  # config.problems.validate, context bound


def parse_expectations(
    entries: Any, path: Path, source_names: list[str], problems: list[str], validate: Validate
) -> tuple[Expect, ...]:
    """Every `[[expect]]` entry validated; problems are appended as 'file: [[expect]] name (entry n): key: ...'."""
    if not isinstance(entries, list):
        problems.append(f"{path}: 'expect' must be an array of tables: write each entry as [[expect]]")
        return ()
    found: list[Expect] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"{path}: [[expect]] entry {index} must be a table")
            continue
        name = entry.get("name")
        where = f"{path}: [[expect]] " + (f"{name!r} (entry {index})" if isinstance(name, str) else f"entry {index}")
        before = len(problems)
        if ("by" in entry) == ("every" in entry):
            problems.append(
                f"{where}: keys 'by' and 'every': set exactly one: by = \"MM-DD\" (due every calendar year) "
                'or every = "6mo" (due that long after it was last met)'
            )
        if not entry.get("match") and not entry.get("facts"):
            problems.append(f"{where}: key 'match': missing; give the terms a meeting event must carry")
        sources = entry.get("sources", [])
        for pattern in sources if isinstance(sources, list) else []:
            if isinstance(pattern, str) and not any(fnmatch.fnmatchcase(name, pattern) for name in source_names):
                kind = "pattern" if any(char in pattern for char in "*?[") else "name"
                problems.append(
                    f"{where}: key 'sources': {kind} {pattern!r} matches no [[source]]; "
                    f"known: {', '.join(source_names) or 'none'}"
                )
        history = entry.get("history")
        if isinstance(history, str) and history_file(history, path) is None:
            problems.append(
                f"{where}: key 'history': {history!r} is neither a shipped data set "
                f"({', '.join(shipped_histories()) or 'none'}) nor a TOML file next to {path.name}"
            )
        expect = validate(Expect, entry, where, problems)
        if expect is None or len(problems) > before:
            continue
        if expect.name in seen:
            problems.append(
                f"{where}: key 'name': duplicate name, already used by entry {seen[expect.name]}; names must be unique"
            )
            continue
        if len(problems) == before:
            seen[expect.name] = index
            found.append(expect)
    return tuple(found)


def shipped_histories() -> list[str]:
    """Data sets under watcher/data/ that an expectation's `history` may name (files named *_history.toml)."""
    folder = files("watcher") / "data"
    return sorted(
        entry.name.removesuffix(".toml") for entry in folder.iterdir() if entry.name.endswith("_history.toml")
    )


def history_file(value: str, sources_file: Path) -> Path | None:
    """The file an expectation's `history` names, or None when there is none."""
    if value in shipped_histories():
        return Path(str(files("watcher") / "data" / f"{value}.toml"))
    candidate = Path(value)
    if not candidate.is_absolute():
        candidate = sources_file.parent / candidate
    return candidate if candidate.suffix == ".toml" and candidate.is_file() else None
