"""Alert messages from templates in `alerts/templates/` (Jinja2, sandboxed: users edit them).

Every `{{ value }}` in a body template is escaped as Markdown and every value in
a title template is reduced to one safe line, unless watcher built it itself
(links, formatted facts). A missing template falls back to the packaged one; a
broken template is a configuration error at load time, not a lost alert later.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from watcher.core.errors import ConfigError
from watcher.core.labels import Labels, shipped
from watcher.core.timestamps import display
from watcher.notify import escape
from watcher.notify.factsview import fact_lines, headline
from watcher.notify.message import Message

TEMPLATES = (
    "alert.title.j2",
    "alert.md.j2",
    "digest.title.j2",
    "digest.md.j2",
    "health.title.j2",
    "health.md.j2",
    "update.title.j2",
    "update.md.j2",
    "overdue.title.j2",
    "overdue.md.j2",
)
SUMMARY_LIMIT = 600
BODY_LIMIT = 3500  # Apprise's overflow handling cuts further where a channel needs it


def _link(url: object, text: object = "link") -> escape.Trusted:
    target = escape.safe_url(url)
    label = escape.markdown(text)
    return escape.Trusted(f"[{label}]({target})" if target else label)


def _environment(finalize: Any, loader: Any) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=loader,
        finalize=finalize,
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["link"] = _link
    environment.filters["md"] = escape.markdown
    return environment


class Renderer:
    """Messages from the templates; `labels` orders and names a digest's sections (default: the shipped ones)."""

    def __init__(self, alerts_dir: Path | None, labels: Labels | None = None, timezone: str = "UTC") -> None:
        self.labels = labels or shipped()
        self.timezone = timezone  # times in messages are shown in this zone (`[settings] timezone`)
        packaged = FileSystemLoader(str(files("watcher") / "data" / "templates"))
        loaders = [FileSystemLoader(str(alerts_dir / "templates")), packaged] if alerts_dir else [packaged]
        self.where = str(alerts_dir / "templates") if alerts_dir else "packaged templates"
        self.body_env = _environment(escape.markdown, ChoiceLoader(loaders))
        self.title_env = _environment(escape.plain, ChoiceLoader(loaders))
        self._check()

    def _render(self, name: str, **context: Any) -> str:
        environment = self.title_env if name.endswith(".title.j2") else self.body_env
        text = environment.get_template(name).render(**context)
        if name.endswith(".title.j2"):
            return escape.plain(text, limit=250)
        return text.strip() if len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 1].rstrip() + "…"

    def alert(
        self, event: dict[str, Any], publisher: str | None = None, others: list[dict[str, Any]] | None = None
    ) -> Message:
        context = _alert_context(event, publisher, others or [], self.labels, self.timezone)
        return Message(
            self._render("alert.title.j2", **context),
            self._render("alert.md.j2", **context),
            {"high": "warning"}.get(event["severity"], "info"),
        )

    def digest(self, tag: str, events: list[dict[str, Any]], kind: str = "digest") -> Message:
        groups = []
        # Every event is shown: labels in the lexicon's order, then any label the list does not know (an
        # event stored under a lexicon since changed), so no row is marked sent without being in the message.
        present = list(dict.fromkeys(event["label"] for event in events))
        order = [label for label in self.labels.order if label in present]
        order += [label for label in present if label not in order]
        for label in order:
            members = sorted((e for e in events if e["label"] == label), key=lambda e: e["first_seen"], reverse=True)
            groups.append(
                {
                    "label": label,
                    "name": self.labels.display(label),
                    "events": [_alert_context(e, e.get("publisher"), [], self.labels, self.timezone) for e in members],
                }
            )
        context = {
            "tag": tag,
            "kind": kind,
            "count": len(events),
            "groups": groups,
            "since": display(min((e["first_seen"] for e in events), default=""), self.timezone),
        }
        return Message(self._render("digest.title.j2", **context), self._render("digest.md.j2", **context))

    def update(self, event: dict[str, Any], update: dict[str, Any], publisher: str | None = None) -> Message:
        """One short message about an upgrade of a story the channel already has (never the alert again)."""
        context = _update_context(event, update, publisher, self.labels)
        return Message(
            self._render("update.title.j2", **context),
            self._render("update.md.j2", **context),
            {"high": "warning"}.get(event["severity"], "info"),
        )

    def health(self, event: dict[str, Any]) -> Message:
        facts = event.get("facts") or {}
        notify_type = "success" if facts.get("health") == "recovered" else "failure"
        context = {"event": event, "facts": facts}
        return Message(self._render("health.title.j2", **context), self._render("health.md.j2", **context), notify_type)

    def overdue(self, event: dict[str, Any]) -> Message:
        """An expectation's alert: what is missing since when, or that it arrived (`facts.status`)."""
        facts = event.get("facts") or {}
        context = {"event": event, "facts": facts}
        notify_type = "success" if facts.get("status") == "arrived" else "warning"
        return Message(
            self._render("overdue.title.j2", **context), self._render("overdue.md.j2", **context), notify_type
        )

    def _check(self) -> None:
        sample: dict[str, Any] = {
            "id": 0,
            "label": "quota",
            "severity": "high",
            "title": "sample",
            "summary": "",
            "url": "https://x.org",
            "published": "2025-01-01",
            "first_seen": "2025-01-01T00:00:00Z",
            "matched": ["稀土"],
            "kind": "change",
            "facts": {"year": 2025, "batch": 1, "mining_tonnes": 1},
            "source": "sample",
            "publisher": None,
        }
        health = {**sample, "kind": "health", "label": "health", "facts": {"health": "source_broken"}}
        alert = _alert_context(
            sample, "X", [{"source": "y", "url": "https://y.org", "title": "t"}], self.labels, self.timezone
        )
        digest = {
            "tag": "digest",
            "kind": "digest",
            "count": 1,
            "since": display(sample["first_seen"], self.timezone),
            "groups": [{"label": "quota", "name": "QUOTA", "events": [alert]}],
        }
        update = {
            "source": "y",
            "title": "t",
            "url": "https://y.org",
            "label": "quota",
            "severity": "high",
            "official": True,
            "was_label": "irrelevant",
            "was_severity": "low",
            "reasons": ["an official source"],
        }
        contexts = {
            "alert": alert,
            "digest": digest,
            "health": {"event": health, "facts": health["facts"]},
            "update": _update_context(sample, update, "Y", self.labels),
        }
        contexts["overdue"] = {"event": {**sample, "label": "overdue"}, "facts": _OVERDUE_SAMPLE}
        arrived = {"event": contexts["overdue"]["event"], "facts": {**_OVERDUE_SAMPLE, "status": "arrived"}}
        for name, context in [
            *((name, contexts[name.split(".")[0]]) for name in TEMPLATES),
            ("overdue.md.j2", arrived),
        ]:
            try:
                self._render(name, **context)
            except TemplateError as error:
                line = getattr(error, "lineno", None)
                raise ConfigError(
                    f"{self.where}/{name}{f' line {line}' if line else ''}: {error}",
                    hint="fix the template, or delete it to use the packaged one",
                ) from None


_OVERDUE_SAMPLE = {
    "status": "overdue",
    "what": "sample",
    "due": "2025-03-31",
    "due_text": "due by 03-31",
    "period_words": "in 2025",
    "overdue_days": 1,
    "reminder": 0,
    "label": "quota",
    "terms": ["x"],
    "sources": ["y"],
    "met_before": [{"date": "2024-02-06", "withheld": False}],
    "more_before": 0,
    "record": {"since_year": 2019, "days_beyond": 1, "latest": "2024-03-24"},
    "met": {"title": "t", "date": "2025-04-01", "url": "https://x.org", "source": "s"},
    "late_days": 1,
}


def _alert_context(
    event: dict[str, Any],
    publisher: str | None,
    others: list[dict[str, Any]],
    labels: Labels,
    timezone: str = "UTC",
) -> dict[str, Any]:
    facts = event.get("facts") or {}
    # templates read `event.published` and `event.first_seen`: give them the times as people read them
    event = {**event, "published": display(event.get("published"), timezone)}
    event["first_seen"] = display(event.get("first_seen"), timezone)
    summary = (event.get("summary") or "").strip()
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[: SUMMARY_LIMIT - 1].rstrip() + "…"
    return {
        "event": event,
        "facts": facts,
        "publisher": publisher,
        "summary": summary,
        "label_name": labels.display(event["label"]),
        "headline": headline(event["label"], event["title"], facts, publisher),
        "title_in_headline": headline(event["label"], event["title"], facts, publisher).endswith(event["title"]),
        "fact_lines": fact_lines(facts),
        "others": [o for o in others if o.get("source") != event.get("source")],
    }


def _update_context(
    event: dict[str, Any], update: dict[str, Any], publisher: str | None, labels: Labels
) -> dict[str, Any]:
    facts = event.get("facts") or {}
    return {
        "event": event,
        "update": update,
        "facts": facts,
        "publisher": publisher,
        "reporter": publisher or update.get("source") or "",
        "label_name": labels.display(event["label"]),
        "was_name": labels.display(update.get("was_label") or event["label"]),
        "reasons": ", ".join(update.get("reasons") or []),
        "headline": headline(event["label"], event["title"], facts, publisher),
    }
