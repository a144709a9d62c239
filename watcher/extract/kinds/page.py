"""`page`: one document watched as text (a rules page, a quota framework, an IR page).

The page's main text becomes one item of normalised lines; a change reports
the lines added and removed, which is what a reader wants to see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from watcher.core.errors import ExtractError
from watcher.core.models import Item
from watcher.extract.markup import canonical_id, clean, parse_html, selector, text_of, valid_css
from watcher.extract.registry import Kind, KindOptions

if TYPE_CHECKING:
    from watcher.core.models import Fetched, SourceView

_DROP = ("script", "style", "noscript", "template", "svg", "iframe")
_BLOCKS = {
    "p",
    "div",
    "li",
    "tr",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "table",
    "ul",
    "ol",
    "dd",
    "dt",
    "blockquote",
    "pre",
    "header",
    "footer",
    "td",
    "th",
}


class PageOptions(KindOptions):
    selector: str = Field("body", description="CSS selector of the main content")
    ignore: tuple[str, ...] = Field((), description="CSS selectors removed before reading, e.g. ['nav', '.share']")

    @field_validator("selector")
    @classmethod
    def _css(cls, value: str) -> str:
        return valid_css(value)

    @field_validator("ignore")
    @classmethod
    def _css_all(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(valid_css(css) for css in value)


class PageKind(Kind):
    """A single document watched as text: the lines of the element matching
    `selector` (default body), minus `ignore`; a change lists the lines added and removed."""

    name = "page"
    Options = PageOptions
    is_list = False

    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]:
        options: PageOptions = source.options  # type: ignore[assignment]
        root = parse_html(text_of(fetched, source))
        title = clean(root.findtext(".//title"))
        main = selector(options.selector)(root)
        if not main:
            return []  # the pipeline reports a selector that stops matching as a broken source
        lines = main_text_lines(main[0], options.ignore)
        if not lines:
            raise ExtractError(f"selector {options.selector!r} matched an element with no text")
        return [
            Item(id=canonical_id(fetched.url), title=title or fetched.url, url=fetched.final_url, text="\n".join(lines))
        ]


def main_text_lines(element: Any, ignore: tuple[str, ...] = ()) -> list[str]:
    """The visible text of an element as clean, non-empty lines (also used for detail pages)."""
    for css in (*_DROP, *ignore):
        for unwanted in selector(css)(element):
            if unwanted is not element:
                unwanted.drop_tree()
    for block in element.iter():
        if isinstance(block.tag, str) and block.tag in _BLOCKS:
            block.tail = "\n" + (block.tail or "")
            if block.tag == "br":
                continue
            block.text = "\n" + (block.text or "")
    lines = (clean(line) for line in element.text_content().split("\n"))
    return [line for line in lines if line]
