"""What the templates in alerts/templates/ can show: one dictionary per message, in the reader's terms.

An alert's context says what happened in English (the headline; the original title beneath when it is not
English), the figures (fact lines in English), what changed against an earlier notice the state knows (a
quota against the last batch, a control against the one it suspends), every outlet that told the story, and
the source and times in `[settings] timezone`. alerts/templates/README.md documents each field.
"""

from __future__ import annotations

from typing import Any

from watcher.core.labels import Labels
from watcher.core.timestamps import display
from watcher.notify.factsview import document_text, fact_lines, headline

SUMMARY_LIMIT = 600


def alert_context(
    event: dict[str, Any],
    publisher: str | None,
    others: list[dict[str, Any]],
    labels: Labels,
    timezone: str = "UTC",
) -> dict[str, Any]:
    """The context of one alert (also each item of a digest)."""
    from watcher.analyze.glossary import glossary
    from watcher.analyze.titles import is_english, split_outlet

    facts = event.get("facts") or {}
    title = event.get("title") or ""
    english = event.get("headline") or title
    if english == title:  # an English title: its outlet ("- Reuters") is the source line's, not the headline's
        english = split_outlet(title)[0]
    # templates read `event.published` and `event.first_seen`: give them the times as people read them
    event = {**event, "published": display(event.get("published"), timezone), "headline": english}
    event["first_seen"] = display(event.get("first_seen"), timezone)
    original_summary = _cut((event.get("summary") or "").strip())
    title_line = headline(event["label"], title, facts, publisher, english)
    outlets = _outlets(event, others, publisher)
    return {
        "event": event,
        "facts": facts,
        "publisher": publisher,
        "source_name": _english(publisher or split_outlet(title)[1] or event.get("source") or "", glossary()),
        "label_name": labels.display(event["label"]),
        "headline": title_line,
        "english_headline": english,
        "english_in_title": title_line.endswith(english),
        "original_title": "" if is_english(title) else title,
        "summary": original_summary if is_english(original_summary) else "",
        "original_summary": original_summary,
        "fact_lines": fact_lines(facts),
        "changes": _changes(facts, event.get("related") or []),
        "outlets": outlets,
        "others": outlets,
        "matched": list(event.get("matched") or []),
        "title_in_headline": title_line.endswith(title),
    }


def update_context(
    event: dict[str, Any], update: dict[str, Any], publisher: str | None, labels: Labels, timezone: str = "UTC"
) -> dict[str, Any]:
    """The context of the short update an upgrading sighting sends to a channel that has the story."""
    from watcher.analyze.glossary import glossary
    from watcher.analyze.titles import is_english, split_outlet

    facts = event.get("facts") or {}
    english = event.get("headline") or event.get("title") or ""
    event = {**event, "first_seen": display(event.get("first_seen"), timezone), "headline": english}
    added = update.get("added") or {}
    reported = update.get("title") or ""
    return {
        "event": event,
        "update": update,
        "facts": facts,
        "publisher": publisher,
        "reporter": _english(
            publisher or split_outlet(update.get("title") or "")[1] or update.get("source") or "", glossary()
        ),
        "label_name": labels.display(event["label"]),
        "was_name": labels.display(update.get("was_label") or event["label"]),
        "reasons": ", ".join(update.get("reasons") or []),
        "added_lines": fact_lines(added) if added else [],
        "update_headline": _headline_of(update.get("headline"), reported),
        "update_original": "" if is_english(reported) else reported,
        "headline": headline(event["label"], event.get("title") or "", facts, publisher, english),
    }


def _headline_of(headline: str | None, title: str) -> str:
    """A report's English headline (an English title without its outlet suffix)."""
    from watcher.analyze.titles import split_outlet

    return headline if headline and headline != title else split_outlet(title)[0]


def _english(name: str, words: Any) -> str:
    """A publisher or outlet in English where the glossary knows it (环球网 -> Huanqiu.com (Global Times)), else as
    written: it is a name, and the link beside it says which."""
    return words.english_name(name) or name


def _cut(text: str, limit: int = SUMMARY_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _outlets(event: dict[str, Any], others: list[dict[str, Any]], publisher: str | None) -> list[dict[str, Any]]:
    """Every other report of the story, once each, named by its outlet ("Reuters"), else its publisher or source."""
    from watcher.analyze.glossary import glossary
    from watcher.analyze.titles import split_outlet

    seen = {event.get("url")}
    out = []
    for other in others:
        url = other.get("url")
        if not url or url in seen:
            continue
        seen.add(url)
        name = split_outlet(other.get("title") or "")[1] or other.get("publisher") or other.get("source") or ""
        out.append({**other, "name": _english(name, glossary())})
    return out


def _changes(facts: dict[str, Any], related: list[dict[str, Any]]) -> list[str]:
    """What this notice changes that the state knows of: the earlier documents it suspends or amends, with the
    alert watcher gave for them."""
    known = {item["doc_no"]: item for item in related if item.get("doc_no")}
    lines = []
    for key, verb in (("suspends", "Suspends"), ("amends", "Amends"), ("repeals", "Repeals")):
        for doc in facts.get(key) or []:
            item = known.get(doc)
            if item is None:
                continue
            when = (item.get("first_seen") or "")[:10]
            lines.append(f"{verb} {document_text(doc, original=False)}, alerted {when}: {item.get('headline')}")
    return lines
