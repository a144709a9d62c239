"""`page`: one document watched as text (a rules page, a quota framework, an IR page).

The page's main text becomes one item of normalised lines; a change reports
the lines added and removed, which is what a reader wants to see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from watcher.core.errors import ExtractError
from watcher.core.models import Item
from watcher.extract.maintext import css_path, largest_block, main_text_lines
from watcher.extract.markup import canonical_id, clean, parse_html, selector, text_of, valid_css
from watcher.extract.registry import Kind, KindOptions

if TYPE_CHECKING:
    from watcher.core.models import Fetched, SourceView
    from watcher.extract.trial import Hints, Sample, Trial


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
    try_order = 30

    @classmethod
    def fits(cls, sample: Sample, hints: Hints) -> bool:
        """The response is HTML or plain text (any page can be watched as one document)."""
        return sample.format in ("html", "text")

    @classmethod
    def trial(cls, sample: Sample, hints: Hints) -> Trial:
        """The first lines of the page's main text, and the selector of the block they come from."""
        from watcher.extract.trial import Trial

        root = parse_html(sample.text)
        block = largest_block(root)
        css = css_path(block) if block is not None else "body"
        lines = main_text_lines(block) if block is not None else main_text_lines(parse_html(sample.text).body)
        chosen = {"selector": css} if css != "body" else {}
        heading = f"page: first lines of the main text ({css})"
        return Trial(cls.name, heading, chosen, lines=lines[: hints.limit * 2], total=len(lines))

    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]:
        options: PageOptions = source.options
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
