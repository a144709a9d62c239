"""Helpers shared by the kinds: decoding, stable ids, compiled selectors, clean text."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from watcher.core.errors import ExtractError
from watcher.fetch.charset import decode

if TYPE_CHECKING:
    from watcher.core.models import Fetched, SourceView

_SPACE = re.compile(r"\s+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "spm")
_local = threading.local()
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
)


def text_of(fetched: Fetched, source: SourceView) -> str:
    """The decoded body, deciding the charset once per response (see watcher.fetch.charset).

    An image, archive or PDF served as a web page is an error saying so: decoded as text it would
    parse as an empty page, and the check would blame the selector.
    """
    if fetched.text is None:
        binary = binary_kind(fetched.content)
        if binary is not None:
            served = fetched.content_type.split(";", 1)[0].strip() or "no content type"
            raise ExtractError(f"not a text page: the body is {binary} (served as {served})")
        decoded = decode(fetched.content, fetched.content_type, source.encoding)
        fetched.text, fetched.charset, fetched.charset_source = decoded.text, decoded.charset, decoded.source
    return fetched.text


def binary_kind(content: bytes) -> str | None:
    """What a binary body is ("a PNG image", ...) by its first bytes, or None for text."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    return None


def clean(text: str | None) -> str:
    """Collapse whitespace (including full-width spaces) to single spaces."""
    return _SPACE.sub(" ", text.replace("\u3000", " ")).strip() if text else ""


def absolute(base: str, href: str | None) -> str:
    """An absolute http(s) URL for a link, or "" for javascript:, mailto: and empty links."""
    if not href:
        return ""
    href = href.strip()
    # The hot path of a list page: most links are absolute or root-relative, and need no urljoin.
    if href.startswith(("http://", "https://")) and " " not in href:
        return href
    if href.startswith("/") and not href.startswith("//") and "/." not in href:
        origin = _origin(base)
        if origin:
            return origin + href
    if href.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
        return ""
    url = urljoin(base, href)
    return url if url[:8].lower().startswith(("http://", "https://")) else ""


@lru_cache(maxsize=256)
def _origin(base: str) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def canonical_id(url: str) -> str:
    """A stable identity for a URL: no scheme, fragment, default port or tracking parameters.

    Ministries switch between http and https and add share parameters; the
    same notice must keep the same id or it would be alerted twice.
    """
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("http", "https") and not any(char in rest for char in "?#@%\\"):
        host, _, path = rest.partition("/")  # the hot path: a plain link, no query, no credentials
        host = host.lower()
        if host.endswith((":80", ":443")):  # default ports, as the general path below drops them
            host = host.rsplit(":", 1)[0]
        return f"//{host}/{path}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(_TRACKING)
    ]
    return urlunsplit(("", host, parts.path or "/", urlencode(query), ""))


def parse_html(text: str) -> Any:
    """An lxml tree of a (possibly broken) HTML document or fragment."""
    import lxml.html
    from lxml.etree import ParserError

    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        raise ExtractError("the page is empty")
    try:
        return lxml.html.document_fromstring(text)
    except (ParserError, ValueError) as error:
        raise ExtractError(f"cannot parse HTML: {error}") from None


def selector(css: str) -> Any:
    """A CSS selector compiled to plain XPath 1.0, cached per thread (lxml XPath objects are not shared).

    Not lxml's CSSSelector: its `:contains()` calls an XPath extension function that
    lxml 6.1 fails to find on every other document it is used on. cssselect's HTML
    translator writes `:contains()` as XPath `contains()` (case-sensitive) instead.
    """
    cache = getattr(_local, "selectors", None)
    if cache is None:
        cache = _local.selectors = {}
    compiled = cache.get(css)
    if compiled is None:
        from lxml import etree

        compiled = cache[css] = etree.XPath(_xpath(css))
    return compiled


@lru_cache(maxsize=1024)
def _xpath(css: str) -> str:
    """CSS translated to XPath once per process (a thousand sources often share one selector)."""
    from cssselect import HTMLTranslator

    return HTMLTranslator().css_to_xpath(css)


@lru_cache(maxsize=1024)
def valid_css(css: str) -> str:
    """Validate a CSS selector at configuration time, so a typo is a config error, not a broken source."""
    from cssselect import SelectorError
    from lxml import etree

    try:
        etree.XPath(_xpath(css))
    except (SelectorError, SyntaxError, ValueError, etree.XPathError) as error:
        raise ValueError(f"invalid CSS selector {css!r}: {error}") from None
    return css


def valid_jmespath(expression: str) -> str:
    """Validate a JMESPath expression at configuration time."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        jmespath.compile(expression)
    except JMESPathError as error:
        raise ValueError(f"invalid JMESPath {expression!r}: {error}") from None
    return expression


def jmes(expression: str) -> Any:
    cache = getattr(_local, "jmes", None)
    if cache is None:
        cache = _local.jmes = {}
    compiled = cache.get(expression)
    if compiled is None:
        import jmespath

        compiled = cache[expression] = jmespath.compile(expression)
    return compiled


def load_json(fetched: Fetched, source: SourceView) -> Any:
    import json

    try:
        return json.loads(text_of(fetched, source))
    except ValueError as error:
        snippet = clean(text_of(fetched, source)[:80])
        raise ExtractError(f"the response is not valid JSON ({error}); it starts with {snippet!r}") from None
