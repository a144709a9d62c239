"""`feed`: RSS and Atom feeds (news sites, SEC EDGAR, agency releases).

feedparser reads the bytes we fetched ourselves (its own HTTP client has no
timeout) and handles the declared encoding, e.g. SEC's ISO-8859-1 Atom.

A feed is a stranger's XML. A feed whose DOCTYPE declares an external entity
(SYSTEM or PUBLIC: `file:///etc/hostname`, an `http://` address), a parameter
entity or an entity made of other entities (billion laughs) is refused before
any parser sees it; plain-text entities are read. Beneath that, the parser is
the stdlib expat reader with external entities off (feedparser sets that) and
expat's own amplification limit, so neither a file's text nor a request nor an
expansion comes out of a feed even if the first check missed one. A feed that
is not well-formed XML (truncated, or using an entity it may not declare) is
an error naming the line, not a silent partial read by feedparser's lenient
fallback: that fallback would report a cut-off feed as "nothing new".
"""

from __future__ import annotations

import html
import re
import time
import xml.sax
from typing import TYPE_CHECKING, Any

from pydantic import Field

from watcher.core.errors import ExtractError
from watcher.core.models import Item, content_hash
from watcher.core.timestamps import STAMP_FORMAT
from watcher.extract.dates import parse_date
from watcher.extract.markup import absolute, canonical_id, clean
from watcher.extract.registry import Kind, KindOptions

if TYPE_CHECKING:
    from watcher.core.models import Fetched, SourceView
    from watcher.extract.trial import Hints, Sample

_TAG = re.compile(r"<[^>]+>")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ENTITY = re.compile(
    rb"""<!ENTITY\s+(?P<parameter>%\s+)?(?P<name>[^\s>]+)\s+(?P<value>"[^"]*"|'[^']*'|SYSTEM|PUBLIC)""", re.IGNORECASE
)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")  # the root element: declarations come before it
_PROLOG_SCAN = 1_000_000


class FeedOptions(KindOptions):
    fields: tuple[str, ...] = Field(
        (), description="extra entry fields appended to the text, e.g. ['form-name', 'items-desc'] for SEC EDGAR"
    )
    date: str | None = Field(
        None,
        description="entry field that holds the date to record instead of published/updated, "
        "e.g. 'filing-date' for SEC EDGAR company feeds (their <updated> is the acceptance time)",
    )


class FeedKind(Kind):
    """An RSS 2.0, RSS 1.0 or Atom feed: one item per entry, identified by its guid
    (else its link), with title, link, date and summary text."""

    name = "feed"
    Options = FeedOptions
    empty_ok = True  # a feed may have no entries yet
    try_order = 40

    @classmethod
    def fits(cls, sample: Sample, hints: Hints) -> bool:
        """The response is RSS or Atom."""
        return sample.format == "feed"

    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]:
        feedparser = _feedparser()
        headers = {"content-type": fetched.content_type, "content-location": fetched.final_url}
        if source.encoding:
            headers["content-type"] = f"application/xml; charset={source.encoding}"
        _refuse_unsafe_entities(fetched.content)
        parsed = feedparser.parse(fetched.content, response_headers=headers)
        problem = parsed.get("bozo_exception")
        if isinstance(problem, xml.sax.SAXParseException):
            raise ExtractError(_not_well_formed(problem, fetched.content))
        if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
            raise ExtractError(f"not a valid RSS/Atom feed: {problem or 'no feed elements found'}")
        options: FeedOptions = source.options
        items: list[Item] = []
        seen: set[str] = set()
        for entry in parsed.entries:
            item = _item(entry, fetched.final_url, options)
            if item is None:
                continue
            if item.id in seen:  # EDGAR's firehose repeats one accession number for each filer
                item = Item(
                    id=f"{item.id}#{canonical_id(item.url)}",
                    title=item.title,
                    url=item.url,
                    published=item.published,
                    text=item.text,
                )
            if item.id not in seen:
                seen.add(item.id)
                items.append(item)
        return items


def _feedparser() -> Any:
    import feedparser
    import feedparser.api

    # feedparser prefers libxml2's SAX driver when its bindings are installed; keep the stdlib expat reader,
    # whose entity handling the module docstring describes (and tests/test_fetch_security.py checks).
    feedparser.api.PREFERRED_XML_PARSERS = ["xml.sax.expatreader"]
    return feedparser


def _refuse_unsafe_entities(content: bytes) -> None:
    """Refuse a feed whose prolog declares external, parameter or nested entities (see the module docstring)."""
    start = _FIRST_ELEMENT.search(content, 0, _PROLOG_SCAN)
    prolog = content[: start.start() if start else _PROLOG_SCAN]
    for match in _ENTITY.finditer(prolog):
        parameter, name, value = match["parameter"], match["name"].decode("utf-8", "replace"), match["value"]
        if parameter:
            why = f"parameter XML entity %{name};"
        elif value[:1] not in (b'"', b"'"):
            why = f"external XML entity &{name}; ({value.decode('ascii', 'replace')})"
        elif b"&" in value or b"%" in value:
            why = f"nested XML entity &{name}; (an entity bomb?)"
        else:
            continue
        raise ExtractError(f"feed refused: {why}, such entities are never read")


def _not_well_formed(error: xml.sax.SAXParseException, content: bytes) -> str:
    reason = error.getMessage()
    if _ENTITY_DECLARATION.search(content, 0, 65_536):
        reason += " (the feed declares XML entities; only plain-text ones are read)"
    return f"feed not well-formed at line {error.getLineNumber()}: {reason}"


def _item(entry: Any, base: str, options: FeedOptions) -> Item | None:
    title = _plain(entry.get("title"))
    url = absolute(base, entry.get("link"))
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = " ".join(part.get("value", "") for part in entry["content"])
    text_parts = [_plain(summary)]
    text_parts += [_plain(str(entry.get(field))) for field in options.fields if entry.get(field)]
    text = clean(" ".join(part for part in text_parts if part))
    if not title and not url and not text:
        return None
    guid = entry.get("id") or ""
    if guid:
        item_id = guid.strip()
    elif url:
        item_id = canonical_id(url)
    else:
        item_id = "title:" + content_hash(title, text)
    published = _published(entry, options.date)
    return Item(id=item_id, title=title or text[:120], url=url, published=published, text=text)


def _published(entry: Any, field: str | None) -> str | None:
    """The entry's date: a UTC instant when the feed gives a time with its zone (RSS and Atom do), else a date.

    `field` names the entry's own date when published/updated is something else: an EDGAR
    filing's <updated> is its acceptance time, and a filing accepted after 17:30 ET is filed on
    the next business day (Forms 3, 4 and 5 until 22:00), which EDGAR writes in <filing-date>.
    """
    if field:
        found = parse_date(_plain(str(entry.get(field) or "")))
        if found:
            return found
    # dict.get skips feedparser's deprecated updated->published fallback (and its warning)
    for raw in (dict.get(entry, "published"), dict.get(entry, "updated")):
        found = parse_date(raw)
        if found:
            return found
    parsed_time = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")  # feedparser: UTC
    return time.strftime(STAMP_FORMAT, parsed_time) if parsed_time else None


def _plain(markup: str | None) -> str:
    if not markup:
        return ""
    return clean(html.unescape(_TAG.sub(" ", markup)))
