"""Detail pages: read each new announcement's own page once and put its main text into the change.

On MOFCOM, MIIT and MNR lists the title says "公告2025年第18号" or "关于下达…指标的通知";
the controlled elements, the tonnage and the effective date are on the item's
own page. A source with `detail` set gets, for each NEW item with a URL (at
most `detail.max` per check, newest first), one extra GET through the same
Fetcher, so the per-host spacing and the source's headers, user agent,
timeout, size cap and encoding all hold. The text goes into the Change only:
the stored list item keeps its list text, so the next check's diff is not
disturbed. A failing detail page never fails the check: the list item is kept
as it is and the failure is logged with the source and URL.

Some detail pages only point at the document: an SEC EDGAR filing index lists
the 8-K and its exhibits, and the press release that says what the deal is
is exhibit EX-99.1. `detail.follow` names that link (a CSS selector); the
page it leads to is read instead, once, through the same Fetcher.

Every link found in a page (the item's own link, `follow`, a meta refresh, an
iframe, a JavaScript redirect) is a stranger's: it is fetched only within the
source's Reach (its own site, `hosts`, `detail.hosts`; never inside the network
unless the source is there, see `watcher.fetch.reach`). A refused link is a
failed detail page like any other: logged once with the reason, the item keeps
its list text.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from watcher.core.errors import ExtractError, FetchError
from watcher.extract.maintext import MainText, extract_main_text
from watcher.extract.markup import absolute, parse_html, selector, text_of
from watcher.fetch.reach import Reach

if TYPE_CHECKING:
    from watcher.core.models import Change, Fetched, SourceView
    from watcher.fetch.http import Fetcher

log = logging.getLogger(__name__)

DETAIL_CAP = 20_000
_FEW_CHARS = 200  # less main text than this: the page may be a JS redirect or an iframe shell
_JS_REDIRECT = re.compile(
    r"""(?:window\.|self\.|top\.|document\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']"""
    r"""|location\.replace\(\s*["']([^"']+)["']\s*\)"""
)
_META_REFRESH = re.compile(
    r"""<meta[^>]+http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']?\s*\d*\s*;\s*url\s*=\s*['"]?([^"'>\s]+)""",
    re.IGNORECASE,
)
_HTML_TYPES = ("html", "xml", "text/plain")


@dataclass(frozen=True)
class DetailReader:
    """The pipeline's enricher (`Pipeline.enricher`): adds detail-page text to new items.

    `article=False` skips trafilatura even where the `[article]` extra is
    installed; `cap` bounds the text kept per page.
    """

    cap: int = DETAIL_CAP
    article: bool = True

    def __call__(self, changes: list[Change], source: SourceView, fetcher: Fetcher) -> list[Change]:
        if source.detail is None:
            return changes
        wanted = [index for index, change in enumerate(changes) if change.change == "new" and change.item.url]
        # newest first; undated items keep their page order after the dated ones (sorted() is stable)
        wanted = sorted(wanted, key=lambda index: changes[index].item.published or "", reverse=True)
        chosen, beyond = wanted[: source.detail.max], wanted[source.detail.max :]
        if beyond:
            log.info(
                "%s: %d new item(s) beyond detail max %d keep their list text",
                source.name,
                len(beyond),
                source.detail.max,
                extra={"source": source.name, "detail_skipped": len(beyond)},
            )
        enriched = list(changes)
        for index in chosen:
            enriched[index] = self._enrich(enriched[index], source, fetcher)
        return enriched

    def _enrich(self, change: Change, source: SourceView, fetcher: Fetcher) -> Change:
        url = change.item.url
        started = time.monotonic()
        try:
            main, final_url = self.read(url, source, fetcher)
        except (FetchError, ExtractError) as error:
            log.warning(
                "%s: detail page %s failed (%s); keeping the list item",
                source.name,
                url,
                str(error).splitlines()[0],
                extra={"source": source.name, "detail_url": url, "detail_error": str(error)},
            )
            return change
        except Exception as error:  # a parser bug must not fail the check
            log.exception(
                "%s: detail page %s: unexpected error; keeping the list item",
                source.name,
                url,
                extra={"source": source.name, "detail_url": url, "detail_error": repr(error)},
            )
            return change
        elapsed = time.monotonic() - started
        if not main.text:
            log.warning(
                "%s: detail page %s has no main text; keeping the list item",
                source.name,
                final_url,
                extra={"source": source.name, "detail_url": url, "detail_error": "no main text"},
            )
            return change
        log.info(
            "%s: detail %s: %d characters by %s in %.2fs",
            source.name,
            final_url,
            len(main.text),
            main.method,
            elapsed,
            extra={
                "source": source.name,
                "detail_url": final_url,
                "detail_chars": len(main.text),
                "detail_method": main.method,
            },
        )
        item = replace(change.item, text=merge_text(change.item.text, main.text))
        return replace(change, item=item)

    def read(self, url: str, source: SourceView, fetcher: Fetcher) -> tuple[MainText, str]:
        """Fetch one detail page (following one JS redirect, meta refresh or iframe) and read its main text.

        With `detail.follow`, the first link matching it is fetched and read instead; a page
        without such a link (an 8-K with no press release) is read itself.
        """
        css = source.detail.selector if source.detail is not None else None
        reach = Reach.for_source(source, detail=True)
        fetched = _fetch(url, source, fetcher, reach)
        html = _html_of(fetched, source)
        follow = source.detail.follow if source.detail is not None else None
        if follow:
            target = followed_link(html, fetched.final_url, follow)
            if target and target != fetched.final_url:
                log.info(
                    "%s: detail %s links %s (follow %r); reading that page",
                    source.name,
                    fetched.final_url,
                    target,
                    follow,
                )
                fetched = _fetch(target, source, fetcher, reach)
                html = _html_of(fetched, source)
            else:
                log.info(
                    "%s: detail %s has no link matching follow %r; reading the page itself",
                    source.name,
                    fetched.final_url,
                    follow,
                )
        main = extract_main_text(html, css, url=fetched.final_url, article=self.article, cap=self.cap)
        if len(main.text) < _FEW_CHARS:
            target = next_hop(html, fetched.final_url, css)
            if target and target != fetched.final_url:
                log.info("%s: detail %s points to %s; following it once", source.name, fetched.final_url, target)
                fetched = _fetch(target, source, fetcher, reach)
                html = _html_of(fetched, source)
                main = extract_main_text(html, css, url=fetched.final_url, article=self.article, cap=self.cap)
        return main, fetched.final_url


def followed_link(html: str, base: str, css: str) -> str | None:
    """The absolute URL of the first link matching `css` (an `<a href>` or anything inside one), or None."""
    try:
        root = parse_html(html)
    except ExtractError:
        return None
    for element in selector(css)(root):
        anchor = element if element.tag == "a" else next(element.iterancestors("a"), None)
        if anchor is None:
            anchor = next(element.iter("a"), None)
        target = absolute(base, anchor.get("href")) if anchor is not None else ""
        if target:
            return target
    return None


def next_hop(html: str, base: str, css: str | None = None) -> str | None:
    """Where a near-empty page sends the reader: `window.location.href='…'`, a meta refresh or an iframe."""
    for pattern in (_JS_REDIRECT, _META_REFRESH):
        for match in pattern.finditer(html):
            target = absolute(base, next(group for group in match.groups() if group is not None))
            if target:
                return target
    try:
        root = parse_html(html)
    except ExtractError:
        return None
    scopes = selector(css)(root) if css else []
    for scope in scopes or [root]:
        for frame in scope.iter("iframe"):
            target = absolute(base, frame.get("src"))
            if target:
                return target
    return None


def merge_text(list_text: str, detail_text: str) -> str:
    """The detail text, after the list row's text unless the page already repeats it."""
    if not list_text or list_text in detail_text:
        return detail_text
    return f"{list_text}\n{detail_text}"


def _fetch(url: str, source: SourceView, fetcher: Fetcher, reach: Reach) -> Fetched:
    # One retry at most: it covers MOFCOM resetting a new client's first connection, and a dead
    # detail page must not hold the check for the source's full retry budget.
    return fetcher.fetch(
        url,
        timeout=source.timeout,
        max_bytes=source.max_bytes,
        headers=source.headers,
        user_agent=source.user_agent,
        retries=min(source.retries, 1),
        reach=reach,
    )


def _html_of(fetched: Fetched, source: SourceView) -> str:
    content_type = fetched.content_type.lower()
    if (content_type and not any(kind in content_type for kind in _HTML_TYPES)) or fetched.content[:5] == b"%PDF-":
        raise ExtractError(f"not an HTML page ({content_type or 'PDF'})")
    return text_of(fetched, source)
