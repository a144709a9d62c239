"""Who gets which event: rules from `alerts/routes.toml`, digests and their schedules.

A route matches an event by label, severity, source name and source tag, and
sends it to Apprise tags now (`immediate`) or in the tag's next digest.
Events no route matches are kept and counted as unrouted, never dropped.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from watcher.core.errors import ConfigError
from watcher.core.labels import IRRELEVANT, Labels, shipped
from watcher.core.timestamps import iso
from watcher.core.units import parse_duration

if TYPE_CHECKING:
    from watcher.config.sources import Source
    from watcher.core.models import NewEvent

SEVERITIES: tuple[Literal["high", "medium", "low"], ...] = ("high", "medium", "low")


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = ""
    labels: tuple[str, ...] = ()  # empty: every label but `irrelevant`, including those a user lexicon adds
    severity: tuple[Literal["high", "medium", "low"], ...] = SEVERITIES
    sources: tuple[str, ...] = ()  # names or glob patterns; empty = every source
    source_tags: tuple[str, ...] = ()  # any of these sources.toml tags; empty = any
    tags: tuple[str, ...] = Field(min_length=1)  # Apprise tags that receive the event
    mode: Literal["immediate", "digest"] = "immediate"

    @field_validator("labels")
    @classmethod
    def _known_labels(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        labels: Labels = (info.context or {}).get("labels") or shipped()
        labels.check(value, "labels")
        return value

    def matches(self, label: str, severity: str, source: Source) -> bool:
        return (
            (label in self.labels if self.labels else label != IRRELEVANT)
            and severity in self.severity
            and (not self.sources or any(fnmatch.fnmatchcase(source.name, p) for p in self.sources))
            and (not self.source_tags or bool(set(self.source_tags) & set(source.tags)))
        )


class Digest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    tag: str
    every: Literal["hourly", "daily"] = "daily"
    at: str = "08:00"  # daily: local time of day
    timezone: str = "UTC"

    @field_validator("at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        try:
            datetime.strptime(value, "%H:%M")
        except ValueError:
            raise ValueError(f"{value!r} is not a time of day; write e.g. '08:00'") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use e.g. 'UTC', 'Asia/Shanghai', 'Europe/Berlin'") from None
        return value

    def next_after(self, now: datetime) -> datetime:
        """The first digest time strictly after `now` (UTC in, UTC out)."""
        if self.every == "hourly":
            return (now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(UTC)
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        hour, minute = (int(part) for part in self.at.split(":"))
        moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if moment <= local:
            moment = (moment + timedelta(days=1)).replace(hour=hour, minute=minute)
        return moment.astimezone(UTC)

    def cron(self) -> dict[str, object]:
        """APScheduler CronTrigger arguments for this digest (used by the daemon)."""
        if self.every == "hourly":
            return {"minute": 0, "timezone": "UTC"}
        hour, minute = (int(part) for part in self.at.split(":"))
        return {"hour": hour, "minute": minute, "timezone": self.timezone}


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    max_attempts: int = Field(6, ge=1, le=50)
    backoff: float = 30.0  # first retry delay in seconds; doubles per attempt
    backoff_max: float = 3600.0
    burst: int = Field(5, ge=1)  # more due alerts than this for one tag are sent as one combined message
    health_tag: str = "ops"

    @field_validator("backoff", "backoff_max", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value)


class Routes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    delivery: Delivery = Delivery()
    digest: tuple[Digest, ...] = ()
    route: tuple[Route, ...] = ()

    @model_validator(mode="after")
    def _digests_have_schedules(self) -> Routes:
        scheduled = {digest.tag for digest in self.digest}
        for index, route in enumerate(self.route, start=1):
            if route.mode == "digest":
                for tag in route.tags:
                    if tag not in scheduled:
                        raise ValueError(
                            f"[[route]] {route.name or index} sends a digest to tag {tag!r}, but no "
                            f"[[digest]] sets its schedule; add [[digest]] tag = {tag!r}"
                        )
        return self

    def schedule(self, tag: str) -> Digest | None:
        return next((digest for digest in self.digest if digest.tag == tag), None)


PACKAGED = files("watcher") / "data" / "routes.toml"  # the same rules as the shipped alerts/routes.toml


class Router:
    """Decides the (tag, mode, not_before) deliveries of an event."""

    def __init__(self, routes: Routes, clock: Callable[[], datetime] | None = None) -> None:
        self.routes = routes
        self._clock = clock or (lambda: datetime.now(UTC))

    def __call__(self, event: NewEvent, source: Source) -> list[tuple[str, str, str | None]]:
        if event.kind == "health":
            return [(self.routes.delivery.health_tag, "immediate", None)]
        chosen: dict[str, str] = {}
        for route in self.routes.route:
            if route.matches(event.label, event.severity, source):
                for tag in route.tags:
                    if chosen.get(tag) != "immediate":
                        chosen[tag] = route.mode
        if event.label != IRRELEVANT:
            for tag in source.notify:
                chosen[tag] = "immediate"
        now = self._clock()
        out = []
        for tag, mode in sorted(chosen.items()):
            digest = self.routes.schedule(tag) if mode == "digest" else None
            due = iso(digest.next_after(now)) if digest is not None else None
            out.append((tag, mode, due))
        return out


def load_routes(alerts_dir: Path | None, labels: Labels | None = None) -> Routes:
    """Read alerts/routes.toml (labels checked against `labels`, by default the shipped ones); without one,
    the packaged rules: policy, enforcement and deals to `procurement`, low and market news to a daily digest."""
    path: Path | Any = alerts_dir / "routes.toml" if alerts_dir is not None else None
    if path is None or not path.exists():
        path = PACKAGED
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: TOML syntax error: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    try:
        return Routes.model_validate(data, context={"labels": labels or shipped()})
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = list(item["loc"])
            where = (
                f"[[{loc[0]}]] entry {int(loc[1]) + 1}"
                if len(loc) > 1 and isinstance(loc[1], int)
                else (f"[{loc[0]}]" if loc else "file")
            )
            key = (
                ".".join(str(part) for part in loc[2:] if not isinstance(part, int))
                if len(loc) > 2
                else (str(loc[1]) if len(loc) > 1 and not isinstance(loc[1], int) else "")
            )
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{path}: {where}" + (f": key {key!r}" if key else "") + f": {message}")
        raise ConfigError(problems) from None
