"""Drain the outbox through Apprise: retries with backoff, per-target progress, bursts and digests.

Each delivery goes to every Apprise service of its tag, one service at a time,
and remembers which services accepted it: a retry never repeats a message to
a channel that already has it, and one failing channel never blocks another.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from watcher.core.models import NewEvent
from watcher.notify import escape
from watcher.notify.message import Message
from watcher.notify.routes import Routes

if TYPE_CHECKING:
    from pathlib import Path

    from watcher.core.labels import Labels
    from watcher.notify.channels import Channels, Target
    from watcher.notify.render import Renderer
    from watcher.store import Store

log = logging.getLogger(__name__)
CLAIM_LEASE = 300.0  # seconds after which a claim left by a dead sender is released
REPEAT_CHANNEL_ALERT = 24 * 3600.0


@dataclass
class DrainReport:
    sent: Counter[str] = field(default_factory=Counter)
    retrying: Counter[str] = field(default_factory=Counter)
    dead: Counter[str] = field(default_factory=Counter)

    def __bool__(self) -> bool:
        return bool(self.sent or self.retrying or self.dead)

    def __str__(self) -> str:
        def listing(counter: Counter[str]) -> str:
            return ", ".join(f"{tag} {count}" for tag, count in sorted(counter.items()))

        parts = []
        if self.sent:
            parts.append(f"delivered {sum(self.sent.values())} ({listing(self.sent)})")
        if self.retrying:
            parts.append(f"{sum(self.retrying.values())} failed, will retry ({listing(self.retrying)})")
        if self.dead:
            parts.append(f"{sum(self.dead.values())} dead after the last attempt ({listing(self.dead)})")
        return "; ".join(parts) or "nothing to deliver"


class Notifier:
    """Sends what the outbox holds; safe to call from several threads (one drain at a time).

    Apprise, the channels and the templates are loaded on first use (or by `validate()`), so a
    check with nothing to deliver never pays for them.
    """

    def __init__(
        self,
        store: Store,
        routes: Routes,
        alerts_dir: Path | None,
        publishers: dict[str, str | None] | None = None,
        random_fraction: Callable[[], float] = random.random,
        labels: Labels | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.timezone = timezone
        self.store = store
        self.labels = labels
        self.routes = routes
        self.alerts_dir = alerts_dir
        self.publishers = publishers or {}
        self._random = random_fraction
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._channels: Channels | None = None
        self._renderer: Renderer | None = None

    @property
    def channels(self) -> Channels:
        with self._load_lock:
            if self._channels is None:
                from watcher.notify.channels import load_channels

                self._channels = load_channels(self.alerts_dir)
            return self._channels

    @property
    def renderer(self) -> Renderer:
        with self._load_lock:
            if self._renderer is None:
                from watcher.notify.render import Renderer

                self._renderer = Renderer(self.alerts_dir, self.labels, self.timezone)
            return self._renderer

    def validate(self) -> None:
        """Load the channels and templates now, so a mistake in alerts/ is a configuration error at start."""
        _ = self.channels, self.renderer

    def drain(self, digests_now: bool = False) -> DrainReport:
        """Send every due delivery once; `digests_now` also sends digests before their time."""
        report = DrainReport()
        if not self._lock.acquire(blocking=False):
            return report  # another thread is draining; it will pick these up
        try:
            self.store.outbox.release_stale_claims(CLAIM_LEASE)
            tried: set[int] = set()  # each row is tried at most once per drain; retries wait for their time
            while True:
                rows = self.store.outbox.claim_due(digests_now=digests_now, exclude=tried)
                if not rows:
                    break
                tried.update(row["id"] for row in rows)
                for group in self._groups(rows):
                    self._deliver(group, report)
        finally:
            self._lock.release()
        if report:
            log.info("outbox: %s", report)
        return report

    def send_due_digests(self, now: object = None) -> int:
        """Send the digests whose time has come (the daemon calls this on each digest's schedule)."""
        return sum(self.drain().sent.values())

    def digest_schedules(self) -> list[tuple[str, dict[str, object]]]:
        return [(digest.tag, digest.cron()) for digest in self.routes.digest]

    def health_alert(self, title: str, summary: str, facts: dict[str, Any] | None = None) -> None:
        """Record an ops alert (a configuration error, a failing channel) through the outbox."""
        tag = self.routes.delivery.health_tag
        self.store.events.record_health(
            NewEvent(
                source="watcher",
                label="health",
                severity="high",
                kind="health",
                title=title,
                summary=summary,
                facts=facts or {"health": "ops"},
                routes=[(tag, "immediate", None)],
            )
        )

    # -- grouping and rendering -------------------------------------------------------------------------

    def _groups(self, rows: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
        """(tag, kind, rows): digests per tag, bursts of fresh immediate rows per tag, else single rows.

        An update of an event its readers already have is always its own short message."""
        by_tag: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        groups: list[tuple[str, str, list[dict[str, Any]]]] = []
        for row in rows:
            if row.get("update_id"):
                groups.append((row["tag"], "update", [row]))
            else:
                by_tag[(row["tag"], row["mode"])].append(row)
        for (tag, mode), members in by_tag.items():
            if mode == "digest":
                groups.append((tag, "digest", members))
                continue
            fresh = [row for row in members if not row["done_targets"]]
            if len(fresh) > self.routes.delivery.burst:
                groups.append((tag, "burst", fresh))
                members = [row for row in members if row["done_targets"]]
            groups += [(tag, "single", [row]) for row in members]
        return groups

    def _message(self, kind: str, tag: str, rows: list[dict[str, Any]], events: dict[int, dict[str, Any]]) -> Message:
        shown = [events[row["event_id"]] for row in rows if row["event_id"] in events]
        if kind in ("digest", "burst"):
            for event in shown:
                event["publisher"] = self.publishers.get(event["source"])
            return self.renderer.digest(tag, shown, kind=kind)
        (event,) = shown
        if kind == "update":
            update = self.store.events.update(rows[0]["update_id"])
            if update is not None:
                return self.renderer.update(event, update, self.publishers.get(update["source"]))
        if event["kind"] == "health":
            return self.renderer.health(event)
        if event["label"] == "overdue":
            return self.renderer.overdue(event)
        others = [
            {**other, "publisher": self.publishers.get(other.get("source"))} for other in event.get("sources") or []
        ]
        event["related"] = self._related(event)
        return self.renderer.alert(event, self.publishers.get(event["source"]), others)

    def _related(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The earlier events of the documents this one suspends or amends, when the state has them."""
        facts = event.get("facts") or {}
        documents = [doc for key in ("suspends", "amends", "repeals") for doc in facts.get(key) or []]
        if not documents:
            return []
        from watcher.analyze.cluster import doc_key

        keys = {"doc:" + doc_key(str(doc)): str(doc) for doc in documents}
        return [
            {**found, "doc_no": keys[found["key"]]}
            for found in self.store.events.by_keys(list(keys), exclude=event["id"])
        ]

    # -- sending --------------------------------------------------------------------------------------

    def _deliver(self, group: tuple[str, str, list[dict[str, Any]]], report: DrainReport) -> None:
        """Send one group: each target gets one message holding exactly the rows it does not have yet.

        Delivered targets are tracked per row: a digest whose first row reached a channel on an earlier try
        and whose second row is new sends that channel the second row only, and records each row's own.
        """
        tag, kind, rows = group
        done = {row["id"]: set(row["done_targets"]) for row in rows}
        if kind in ("single", "update", "burst"):  # the same URL under two tags gets an event once
            for row in rows:
                done[row["id"]] |= self.store.outbox.targets_done_for_event(
                    row["event_id"], row["id"], row.get("update_id") or 0
                )
        errors: dict[int, list[str]] = {row["id"]: [] for row in rows}
        try:
            events = {}
            for row in rows:
                event = self.store.events.event(row["event_id"])
                if event is not None:
                    events[row["event_id"]] = event
            targets = self.channels.targets(tag)
            if not targets:
                for row in rows:
                    errors[row["id"]].append(f"no channel in apprise.yml has the tag {tag!r}")
            plan: dict[tuple[int, ...], list[Target]] = defaultdict(list)
            for target in targets:
                wanting = tuple(row["id"] for row in rows if target.id not in done[row["id"]])
                if wanting:
                    plan[wanting].append(target)
            for wanting, receivers in plan.items():
                members = [row for row in rows if row["id"] in wanting]
                present = [row for row in members if row["event_id"] in events]
                if not present:  # the events are gone (pruned by hand): nothing left to say
                    continue
                message = self._message(kind, tag, present, events)
                for target in receivers:
                    ok, error = self.send_to(target, message)
                    for row in members:
                        if ok:
                            done[row["id"]].add(target.id)
                        else:
                            errors[row["id"]].append(f"{target.masked}: {error}")
        except Exception as error:  # a template or channel bug must not lose the rows: they retry
            log.exception("outbox: cannot deliver to %s", tag)
            for row in rows:
                errors[row["id"]].append(f"internal error: {type(error).__name__}: {error}")
        for row in rows:
            self._finish(tag, row, sorted(done[row["id"]]), errors[row["id"]], report)

    def _finish(self, tag: str, row: dict[str, Any], done: list[str], errors: list[str], report: DrainReport) -> None:
        attempts = row["attempts"] + 1
        if not errors:
            self.store.outbox.finish_delivery(row["id"], ok=True, done_targets=done, error=None, retry_in=None)
            report.sent[tag] += 1
            return
        error_text = "; ".join(errors)[:1000]
        retry_in = self._backoff(attempts) if attempts < self.routes.delivery.max_attempts else None
        status = self.store.outbox.finish_delivery(
            row["id"], ok=False, done_targets=done, error=error_text, retry_in=retry_in
        )
        if status == "dead":
            report.dead[tag] += 1
            log.error("outbox: delivery %s to %s is dead after %d attempts: %s", row["id"], tag, attempts, error_text)
            self._channel_failing(tag, error_text)
        else:
            report.retrying[tag] += 1
            log.warning(
                "outbox: delivery %s to %s failed (attempt %d), retry in %.0fs: %s",
                row["id"],
                tag,
                attempts,
                retry_in,
                error_text,
            )

    @staticmethod
    def send_to(target: Target, message: Message) -> tuple[bool, str | None]:
        import apprise
        from apprise import NotifyFormat

        single = apprise.Apprise()
        single.add(target.service)
        title = message.title
        resolve = getattr(target.service, "resolve_format", None)
        shown_as = resolve(NotifyFormat.MARKDOWN) if resolve is not None else NotifyFormat.MARKDOWN
        if shown_as == NotifyFormat.TEXT and message.text:
            # A channel that shows text as it is gets the plain-text rendering: no Markdown escapes to read.
            body, body_format = message.text, NotifyFormat.TEXT
        else:
            body, body_format = message.body, NotifyFormat.MARKDOWN
        if getattr(target.service, "title_maxlen", 1) <= 0 and shown_as != NotifyFormat.TEXT:
            # A service without titles gets the title blended into the Markdown body as a heading, read as
            # Markdown: the line built as plain text must then be escaped, or a page's `[x](y)` becomes a link.
            title = escape.markdown(title)
        result = single.notify(body=body, title=title, notify_type=message.notify_type, body_format=body_format)
        if result:
            return True, None
        reasons = [
            getattr(entry, "message", str(entry))
            for entry in result.logs()
            if str(getattr(entry, "level", "")).upper() in ("WARNING", "ERROR", "30", "40")
        ]
        return False, (reasons[-1] if reasons else f"not accepted ({result.status.name.lower()})")

    def _backoff(self, attempts: int) -> float:
        delivery = self.routes.delivery
        base = min(delivery.backoff * 2 ** (attempts - 1), delivery.backoff_max)
        return base * (0.8 + 0.4 * self._random())  # ±20% jitter so retries of many rows spread out

    def _channel_failing(self, tag: str, error: str) -> None:
        if self.store.outbox.recent_health("channel_failing", "tag", tag, REPEAT_CHANNEL_ALERT):
            return
        health_tag = self.routes.delivery.health_tag
        others = [other for other in self.channels.tags() if other != tag]
        routes: list[tuple[str, str, str | None]] = (
            [(health_tag, "immediate", None)] if tag != health_tag else [(t, "immediate", None) for t in others]
        )
        if not routes:
            log.error("outbox: channel %s is failing and no other channel exists to say so", tag)
            return
        self.store.events.record_health(
            NewEvent(
                source="watcher",
                label="health",
                severity="high",
                kind="health",
                title=f"Channel failing: {tag}",
                summary=f"Alerts to the channel tagged {tag!r} could not be delivered after "
                f"{self.routes.delivery.max_attempts} attempts. Last error: {error}",
                facts={"health": "channel_failing", "tag": tag, "error": error},
                routes=routes,
            )
        )
