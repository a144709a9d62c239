"""The machine-readable lists: Atom 1.0, JSON and CSV, each of exactly the events the filters select."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any

from watcher.core.timestamps import iso, utc_now
from watcher.web.present import headline, safe_url

ATOM = "http://www.w3.org/2005/Atom"


def public_event(row: dict[str, Any], page_url: str) -> dict[str, Any]:
    """An event as the JSON API gives it."""
    main, original = headline(row)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "label": row["label"],
        "severity": row["severity"],
        "headline": main,
        "title": row["title"],
        "original_title": original,
        "summary": row.get("summary") or "",
        "source": row["source"],
        "url": row.get("url") or None,
        "published": row.get("published"),
        "first_seen": row["first_seen"],
        "facts": row.get("facts") or {},
        "matched": row.get("matched") or [],
        "page": page_url,
    }


def atom(rows: list[dict[str, Any]], *, feed_url: str, site_url: str, event_url: Any, title: str) -> bytes:
    """An Atom 1.0 document; `event_url(id)` is the absolute address of an event's page."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", feed_url)
    _text(feed, "title", title)
    _text(feed, "updated", rows[0]["first_seen"] if rows else iso(utc_now()))
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "watcher")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=feed_url, type="application/atom+xml")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=site_url, type="text/html")
    _text(feed, "generator", "watcher")
    for row in rows:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        page = event_url(row["id"])
        main, original = headline(row)
        _text(entry, "id", page)
        _text(entry, "title", f"[{row['label']}/{row['severity']}] {main}")
        _text(entry, "updated", row["first_seen"])
        if row.get("published"):
            stamp = _atom_date(row["published"])
            if stamp:
                _text(entry, "published", stamp)
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=page, type="text/html")
        source_url = safe_url(row.get("url"))
        if source_url:
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", href=source_url)
        ET.SubElement(entry, f"{{{ATOM}}}category", term=row["label"])
        lines = [original] if original else []
        lines += [row.get("summary") or "", f"Source: {row['source']}"]
        _text(entry, "summary", "\n".join(line for line in lines if line)).set("type", "text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = _xml_safe(value)
    return element


def _xml_safe(value: str) -> str:
    """Drop the control characters XML 1.0 cannot carry (a page may contain them)."""
    return "".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 0x20)


def _atom_date(published: str) -> str | None:
    """A source's date (2025-10-09 or 2025-10-09T07:03) as an RFC 3339 instant, read as UTC; None if unclear."""
    text = published.strip().replace(" ", "T")
    if len(text) == 10:
        text += "T00:00:00"
    elif len(text) == 16:
        text += ":00"
    text = text.removesuffix("Z")
    return text + "Z" if len(text) == 19 and text[4] == "-" and text[10] == "T" else None


CSV_COLUMNS = ("id", "first_seen", "published", "label", "severity", "kind", "source", "headline", "title", "url")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_lines(pages: Iterable[list[dict[str, Any]]]) -> Iterator[str]:
    """CSV text, header first, streamed a page at a time (UTF-8 with a BOM so spreadsheets read Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    for rows in pages:
        for row in rows:
            main, _ = headline(row)
            values = {**row, "headline": main}
            writer.writerow([_cell(values.get(column)) for column in CSV_COLUMNS])
        yield _drain(buffer)


def _cell(value: Any) -> str:
    """A page's text as a cell that a spreadsheet never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
