"""Alert messages from templates in `alerts/templates/` (Jinja2, sandboxed: users edit them).

Each message has a title, a Markdown body (`*.md.j2`: Slack, e-mail, webhooks; Apprise converts it per
channel) and a plain-text body (`*.txt.j2`: channels that show text as it is). Every `{{ value }}` in a
Markdown body is escaped as Markdown, in a text body it is written as the page wrote it (addresses inert,
mentions neutralised), and every value in a title template is reduced to one safe line, unless watcher
built it itself (links, formatted facts). A missing template falls back to the packaged one; a broken
template is a configuration error at load time, not a lost alert later.
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
from watcher.notify.context import alert_context, update_context
from watcher.notify.message import Message

KINDS = ("alert", "digest", "health", "update", "overdue")
TEMPLATES = tuple(f"{kind}.{part}.j2" for kind in KINDS for part in ("title", "md", "txt"))
BODY_LIMIT = 3500  # Apprise's overflow handling cuts further where a channel needs it


def _link(url: object, text: object = "link") -> escape.Trusted:
    target = escape.safe_url(url)
    label = escape.markdown(text)
    return escape.Trusted(f"[{label}]({target})" if target else label)


def _text_link(url: object, text: object = "link") -> escape.Trusted:
    """A link in a plain-text body: its text, then the address in angle brackets (RFC 3986, appendix C)."""
    target = escape.safe_url(url)
    label = escape.text(text)
    return escape.Trusted(f"{label} <{target}>" if target else label)


def _url(url: object) -> escape.Trusted:
    return escape.Trusted(escape.safe_url(url))


def _environment(finalize: Any, loader: Any, text: bool = False) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=loader,
        finalize=finalize,
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["link"] = _text_link if text else _link
    environment.filters["url"] = _url
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
        self.text_env = _environment(escape.text, ChoiceLoader(loaders), text=True)
        self.title_env = _environment(escape.plain, ChoiceLoader(loaders))
        self._check()

    def _render(self, name: str, **context: Any) -> str:
        environment = {"title": self.title_env, "txt": self.text_env}.get(name.split(".")[1], self.body_env)
        text = environment.get_template(name).render(**context)
        if name.endswith(".title.j2"):
            return escape.plain(text, limit=250)
        return text.strip() if len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 1].rstrip() + "…"

    def _message(self, kind: str, context: dict[str, Any], notify_type: str = "info") -> Message:
        return Message(
            self._render(f"{kind}.title.j2", **context),
            self._render(f"{kind}.md.j2", **context),
            notify_type,
            self._render(f"{kind}.txt.j2", **context),
        )

    def alert(
        self, event: dict[str, Any], publisher: str | None = None, others: list[dict[str, Any]] | None = None
    ) -> Message:
        context = alert_context(event, publisher, others or [], self.labels, self.timezone)
        return self._message("alert", context, {"high": "warning"}.get(event["severity"], "info"))

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
                    "events": [alert_context(e, e.get("publisher"), [], self.labels, self.timezone) for e in members],
                }
            )
        context = {
            "tag": tag,
            "kind": kind,
            "count": len(events),
            "groups": groups,
            "since": display(min((e["first_seen"] for e in events), default=""), self.timezone),
        }
        return self._message("digest", context)

    def update(self, event: dict[str, Any], update: dict[str, Any], publisher: str | None = None) -> Message:
        """One short message about an upgrade of a story the channel already has (never the alert again)."""
        context = update_context(event, update, publisher, self.labels, self.timezone)
        return self._message("update", context, {"high": "warning"}.get(event["severity"], "info"))

    def health(self, event: dict[str, Any]) -> Message:
        facts = event.get("facts") or {}
        notify_type = "success" if facts.get("health") == "recovered" else "failure"
        return self._message("health", {"event": event, "facts": facts}, notify_type)

    def overdue(self, event: dict[str, Any]) -> Message:
        """An expectation's alert: what is missing since when, or that it arrived (`facts.status`)."""
        facts = event.get("facts") or {}
        notify_type = "success" if facts.get("status") == "arrived" else "warning"
        return self._message("overdue", {"event": event, "facts": facts}, notify_type)

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
        sample["headline"] = "sample headline"
        alert = alert_context(
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
            "added": {"amount_usd": 1},
            "headline": "t",
        }
        contexts = {
            "alert": alert,
            "digest": digest,
            "health": {"event": health, "facts": health["facts"]},
            "update": update_context(sample, update, "Y", self.labels, self.timezone),
            "overdue": {"event": {**sample, "label": "overdue"}, "facts": _OVERDUE_SAMPLE},
        }
        arrived = {"event": contexts["overdue"]["event"], "facts": {**_OVERDUE_SAMPLE, "status": "arrived"}}
        checks = [(name, contexts[name.split(".")[0]]) for name in TEMPLATES]
        checks += [(name, arrived) for name in TEMPLATES if name.startswith("overdue.")]
        for name, context in checks:
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
