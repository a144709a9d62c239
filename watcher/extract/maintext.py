"""The main text of an article page: by CSS selector, by trafilatura, or by the largest text block.

A ministry announcement's list title rarely carries the tonnage or the
controlled elements; its own page does, wrapped in menus, breadcrumbs, share
bars and footers. With a selector (MOFCOM `div.art-con`, MIIT `#con_con`) the
text is exact. Without one, trafilatura is used when the optional `[article]`
extra is installed, and otherwise a heuristic that needs nothing but lxml:
score each block by the text its paragraphs hold outside links, and keep the
best one. That is good enough on ministry pages, which are plain paragraphs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from watcher.extract.markup import clean, parse_html, selector

log = logging.getLogger(__name__)

#: elements that are never the main text, whatever they hold
_NEVER = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "select",
    "button",
    "iframe",
    "object",
    "embed",
)
#: id/class words of page chrome (MNR `kyy_nav`, `kyy_position`; common `breadcrumb`, `share`, `copyright`)
_CHROME_WORDS = {
    "nav",
    "navbar",
    "menu",
    "footer",
    "header",
    "breadcrumb",
    "breadcrumbs",
    "crumb",
    "crumbs",
    "position",
    "location",
    "share",
    "sidebar",
    "copyright",
    "toolbar",
    "topbar",
}
_WORD_SPLIT = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")
_BLOCKS = {
    "p",
    "div",
    "td",
    "th",
    "li",
    "pre",
    "blockquote",
    "section",
    "article",
    "main",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "tbody",
    "ul",
    "ol",
    "dl",
    "body",
    "center",
    "font",
}
_CANDIDATES = {"div", "td", "section", "article", "main", "body", "center", "tbody", "table", "ul"}
_MIN_BLOCK = 8  # characters of non-link text for a block to count as a paragraph
_MIN_MAIN = 40  # below this the page has no main text worth keeping


@dataclass(frozen=True, slots=True)
class MainText:
    """Extracted text and how it was found, for the check log."""

    text: str
    method: str  # selector | trafilatura | blocks | none
    where: str = ""  # the CSS of the block the heuristic chose, for `watcher sources try`


def extract_main_text(
    html: str, css: str | None = None, *, url: str = "", article: bool = True, cap: int = 20_000
) -> MainText:
    """The main text of a page, at most `cap` characters.

    A selector that matches nothing falls back to automatic extraction (the
    page changed shape; its text is still worth having) and says so in the log.
    `article=False` skips trafilatura even when it is installed.
    """
    if css:
        root = parse_html(html)
        found = _outermost(selector(css)(root))
        lines = [line for element in found for line in main_text_lines(element)]
        if lines:
            return MainText(_cap("\n".join(lines), cap), "selector", css)
        log.info("detail selector %r matched no text on %s; using automatic extraction", css, url or "the page")
    if article:
        text = _trafilatura(html, url)
        if text and len(text) >= _MIN_MAIN:
            return MainText(_cap(text, cap), "trafilatura")
    element = largest_block(parse_html(html))
    if element is None:
        return MainText("", "none")
    where = css_path(element)
    return MainText(_cap("\n".join(main_text_lines(element)), cap), "blocks", where)


def largest_block(root: Any) -> Any | None:
    """The block element that holds most of the page's paragraph text outside links, or None.

    Each text run belongs to its nearest block ancestor (its paragraph). A
    paragraph's non-link length scores itself, fully its parent and half its
    grandparent (paragraphs split into nested wrappers still add up); a
    candidate's score is then scaled by its share of non-link text, so
    menus and link lists lose to the article.
    """
    bodies = root.xpath("//body")
    body = bodies[0] if bodies else root
    _strip_chrome(body)
    own: dict[Any, list[int]] = {}  # block -> [text length, link text length]
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        in_link = element.tag == "a" or any(parent.tag == "a" for parent in element.iterancestors())
        if element.text and element.text.strip():
            _add(own, _block_of(element), len(clean(element.text)), in_link)
        if element.tail and element.tail.strip() and element.getparent() is not None:
            parent = element.getparent()
            tail_in_link = parent.tag == "a" or any(p.tag == "a" for p in parent.iterancestors())
            _add(own, _block_of(parent), len(clean(element.tail)), tail_in_link)
    scores: dict[Any, float] = {}
    for block, (total, links) in own.items():
        plain = total - links
        if plain < _MIN_BLOCK:
            continue
        for weight, target in ((1.0, block), (1.0, block.getparent()), (0.5, _grandparent(block))):
            if target is not None and isinstance(target.tag, str):
                scores[target] = scores.get(target, 0.0) + weight * plain
    best, best_score = None, 0.0
    for element, score in scores.items():
        if element.tag not in _CANDIDATES and element.tag != "p":
            continue
        total = len(clean(element.text_content()))
        links = sum(len(clean(a.text_content())) for a in element.iter("a"))
        score *= 1.0 - links / total if total else 0.0
        if score > best_score or (score == best_score and best is not None and _is_inside(element, best)):
            best, best_score = element, score
    if best is None or best_score < _MIN_MAIN:
        return None
    return best


def css_path(element: Any) -> str:
    """A short CSS selector for an element: its id, else tag and classes under the nearest ancestor with an id."""
    own = css_step(element)
    if element.get("id"):
        return own
    for ancestor in element.iterancestors():
        if ancestor.get("id"):
            return f"{css_step(ancestor)} {own}"
    return own


def css_step(element: Any, ids: bool = True) -> str:
    """One step of a selector: `#id` when the element has a plain id (and `ids`), else `tag.class.class`."""
    element_id = (element.get("id") or "").strip()
    if ids and element_id and re.fullmatch(r"[A-Za-z][\w-]*", element_id):
        return f"#{element_id}"
    classes = [name for name in (element.get("class") or "").split() if re.fullmatch(r"[A-Za-z_][\w-]*", name)]
    return element.tag + "".join(f".{name}" for name in classes[:2])


def _trafilatura(html: str, url: str) -> str | None:
    """trafilatura's main text, or None when the `[article]` extra is not installed (or it found nothing)."""
    try:
        import trafilatura
    except ImportError as error:  # not installed, or installed without lxml_html_clean by an old pip
        log.debug("trafilatura unavailable (%s); using the text-block heuristic", error)
        return None
    try:
        text = trafilatura.extract(
            html, url=url or None, include_comments=False, include_tables=True, favor_recall=True, deduplicate=False
        )
    except Exception as error:  # a third-party parser bug must not lose the detail text
        log.warning("trafilatura failed on %s: %s; using the text-block heuristic", url or "a page", error)
        return None
    if not text:
        return None
    lines = (clean(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _strip_chrome(body: Any) -> None:
    for css in _NEVER:
        for element in selector(css)(body):
            if element is not body:
                element.drop_tree()
    for element in list(body.iter()):
        if not isinstance(element.tag, str) or element is body or element.getparent() is None:
            continue
        words = {
            word.lower()
            for name in (element.get("id") or "", element.get("class") or "")
            for word in _WORD_SPLIT.split(name)
            if word
        }
        if words & _CHROME_WORDS and _is_chrome(element):
            element.drop_tree()


def _is_chrome(element: Any) -> bool:
    """Named like chrome and shaped like it: short, or mostly links (never a big block of prose)."""
    total = len(clean(element.text_content()))
    links = sum(len(clean(a.text_content())) for a in element.iter("a"))
    return total < 200 or links > total * 0.3


def _block_of(element: Any) -> Any:
    for candidate in (element, *element.iterancestors()):
        if candidate.tag in _BLOCKS:
            return candidate
    return element


def _grandparent(element: Any) -> Any | None:
    parent = element.getparent()
    return parent.getparent() if parent is not None else None


def _add(own: dict[Any, list[int]], block: Any, length: int, in_link: bool) -> None:
    counts = own.setdefault(block, [0, 0])
    counts[0] += length
    if in_link:
        counts[1] += length


def _is_inside(element: Any, other: Any) -> bool:
    return any(ancestor is other for ancestor in element.iterancestors())


def _outermost(elements: list[Any]) -> list[Any]:
    """Matches of a selector list (`#content1, #doccon`) without those nested in another match."""
    chosen = set(elements)
    return [element for element in elements if not any(a in chosen for a in element.iterancestors())]


def _cap(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    cut = text.rfind("\n", 0, cap)
    return text[: cut if cut > cap * 0.8 else cap].rstrip() + "\n…"


_NOT_TEXT = ("script", "style", "noscript", "template", "svg", "iframe")
#: elements whose start and end break a line of the main text
_LINE_BREAKING = frozenset(
    [
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
    ]
)


def main_text_lines(element: Any, ignore: tuple[str, ...] = ()) -> list[str]:
    """The visible text of an element as clean, non-empty lines (a page source's text, a detail page's)."""
    for css in (*_NOT_TEXT, *ignore):
        for unwanted in selector(css)(element):
            if unwanted is not element:
                unwanted.drop_tree()
    for block in element.iter():
        if isinstance(block.tag, str) and block.tag in _LINE_BREAKING:
            block.tail = "\n" + (block.tail or "")
            if block.tag == "br":
                continue
            block.text = "\n" + (block.text or "")
    lines = (clean(line) for line in element.text_content().split("\n"))
    return [line for line in lines if line]
