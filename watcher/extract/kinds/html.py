"""`html`: a list page of notices, one item per repeated element.

The hot path of watcher: it selects items straight from an lxml tree (a few
milliseconds for a 50 KB page) instead of building a BeautifulSoup tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from watcher.core.errors import ExtractError
from watcher.core.models import Item, content_hash
from watcher.extract.dates import parse_date
from watcher.extract.markup import (
    absolute,
    canonical_id,
    clean,
    jmes,
    load_json,
    parse_html,
    selector,
    text_of,
    valid_css,
    valid_jmespath,
)
from watcher.extract.registry import Kind, KindOptions

if TYPE_CHECKING:
    from watcher.core.models import Fetched, SourceView
    from watcher.extract.trial import Hints, Sample, Trial


class HtmlOptions(KindOptions):
    item: str = Field(description="CSS selector of one entry of the list, e.g. 'ul.txtList_01 > li'")
    title: str | None = Field(
        None,
        description="CSS selector of the title inside the entry "
        "(its title attribute wins over its text); default: the first a",
    )
    link: str | None = Field(None, description="CSS selector of the link inside the entry; default: the first a[href]")
    date: str | None = Field(
        None,
        description="CSS selector of the date inside the entry; default: the first date-looking text, then the link",
    )
    text: str | None = Field(None, description="CSS selector of the entry's text; default: the entry's whole text")
    json_path: str | None = Field(
        None,
        description="the response is JSON and this JMESPath holds the HTML, e.g. 'data.html' for jpaas list endpoints",
    )
    base_url: str | None = Field(None, description="resolve relative links against this URL instead of the page's")

    @field_validator("item", "title", "link", "date", "text")
    @classmethod
    def _css(cls, value: str | None) -> str | None:
        return value if value is None else valid_css(value)

    @field_validator("json_path")
    @classmethod
    def _jmes(cls, value: str | None) -> str | None:
        return value if value is None else valid_jmespath(value)


class HtmlKind(Kind):
    """A list page (notices, press releases): one item per element matching `item`,
    with its title, absolute link and date. Use `json_path` when the list arrives as
    HTML inside JSON, as on the MOFCOM and MIIT jpaas endpoints."""

    name = "html"
    Options = HtmlOptions
    try_order = 20

    @classmethod
    def fits(cls, sample: Sample, hints: Hints) -> bool:
        """The response is HTML, or JSON that carries HTML (named by --json-path, or found in it)."""
        if sample.format == "html":
            return True
        if sample.format != "json":
            return False
        from watcher.extract.suggest import json_outline

        return bool(hints.json_path or json_outline(sample.data)[1])

    @classmethod
    def trial(cls, sample: Sample, hints: Hints) -> Trial:
        """The items --item selects; without it, the suggested item selectors, each with its first items."""
        from watcher.extract.suggest import item_candidates, json_outline
        from watcher.extract.trial import Trial

        json_path = hints.json_path
        if json_path is None and sample.format == "json":
            html_paths = json_outline(sample.data)[1]
            json_path = html_paths[0] if html_paths else None
        given = (("title", hints.title), ("link", hints.link), ("json_path", json_path))
        shared = {key: value for key, value in given if value}
        if hints.item:
            chosen = {"item": hints.item, **shared, **({"date": hints.date} if hints.date else {})}
            items = sample.extract(cls, chosen)
            heading = f"html: items matching {hints.item!r}"
            return Trial(cls.name, heading, chosen, items[: hints.limit], len(items))
        markup = sample.text
        if json_path:
            found = jmes(json_path).search(sample.data)
            if not isinstance(found, str):
                raise ExtractError(f"json_path {json_path!r} does not lead to an HTML string")
            markup = found
        candidates: list[dict[str, Any]] = []
        for candidate in item_candidates(parse_html(markup), sample.fetched.final_url):
            chosen = {"item": candidate.item, **shared}
            date = hints.date or candidate.date
            if date:
                chosen["date"] = date
            items = sample.extract(cls, chosen)
            candidates.append(
                {
                    "item": candidate.item,
                    "rows": candidate.rows,
                    "matched": candidate.matched,
                    "date": date,
                    "options": chosen,
                    "items": items[: hints.limit],
                }
            )
        where = f" of the HTML at {json_path!r}" if json_path else ""
        heading = f"html: suggested item selectors{where} (repeated elements with one link and a date)"
        if not candidates:
            error = "no repeated element with one link and a date-looking text; pass --item SELECTOR"
            return Trial(cls.name, heading, error=error)
        return Trial(cls.name, heading, dict(candidates[0]["options"]), candidates=candidates)

    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]:
        options: HtmlOptions = source.options
        markup = self._markup(fetched, source, options)
        root = parse_html(markup)
        base = options.base_url or absolute(fetched.final_url, _base_href(root)) or fetched.final_url
        items: list[Item] = []
        seen: set[str] = set()
        for element in selector(options.item)(root):
            item = self._item(element, base, options)
            if item is not None and item.id not in seen:
                seen.add(item.id)
                items.append(item)
        return items

    @staticmethod
    def _markup(fetched: Fetched, source: SourceView, options: HtmlOptions) -> str:
        if not options.json_path:
            return text_of(fetched, source)
        found = jmes(options.json_path).search(load_json(fetched, source))
        if not isinstance(found, str):
            raise ExtractError(
                f"json_path {options.json_path!r} did not lead to an HTML string "
                f"(got {type(found).__name__}); check the endpoint's JSON"
            )
        return found or "<html></html>"

    @staticmethod
    def _item(element: Any, base: str, options: HtmlOptions) -> Item | None:
        title_element = _first(element, options.title) if options.title else next(element.iter("a"), None)
        link_element = _first(element, options.link) if options.link else _first_link(element)
        url = absolute(base, link_element.get("href") if link_element is not None else None)
        title = ""
        if title_element is not None:
            title = clean(title_element.get("title")) or clean(title_element.text_content())
        whole = clean(element.text_content())
        if not title:
            title = whole
        if not title and not url:
            return None
        text_element = _first(element, options.text) if options.text else element
        text = clean(text_element.text_content()) if text_element is not None else whole
        if options.date:
            date_element = _first(element, options.date)
            published = parse_date(clean(date_element.text_content())) if date_element is not None else None
        else:
            published = parse_date(whole) or parse_date(url)
        item_id = canonical_id(url) if url else "title:" + content_hash(title)
        return Item(id=item_id, title=title, url=url, published=published, text=text)


def _first(element: Any, css: str | None) -> Any:
    if not css:
        return None
    found = selector(css)(element)
    return found[0] if found else None


def _first_link(element: Any) -> Any:
    """The default link: the first <a href> in the entry (a plain walk, cheaper than an XPath per entry)."""
    return next((anchor for anchor in element.iter("a") if anchor.get("href") is not None), None)


def _base_href(root: Any) -> str | None:
    found = root.xpath("//base[@href]/@href")
    return str(found[0]) if found else None
