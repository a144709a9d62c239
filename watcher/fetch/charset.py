"""Decide how a response body is encoded, and decode it.

Chinese ministry pages and their mirrors often declare `gb2312` in a <meta>
tag, send no charset header, and really use GBK: parsing such bytes without
deciding the encoding first silently loses every link. The order here is the
one that gets those pages right: a forced charset, a BOM, the HTTP header, a
<meta> or XML declaration, strict UTF-8, then charset-normalizer with a
preference for GB18030 when the bytes read as Chinese.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# GB2312 and GBK are subsets of GB18030; decoding as GB18030 never loses a character they can encode.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "cp936": "gb18030",
    "windows-936": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "latin1": "latin-1",
    "us-ascii": "latin-1",
    "ascii": "latin-1",
    "unicode": "utf-8",
    "utf8": "utf-8",
}
# Servers that send one of these often mean "I don't know"; a <meta> declaration then wins.
_WEAK = {"latin-1", "windows-1252", "cp1252"}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""",
    re.IGNORECASE,
)
_META_SCAN = 32_768  # a declaration lives in <head>; some heads carry kilobytes of inline CSS first
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CJK_LEGACY = {
    "gb18030",
    "gb2312",
    "gbk",
    "big5",
    "big5hkscs",
    "cp949",
    "euc_kr",
    "euc-kr",
    "shift_jis",
    "cp932",
    "euc_jp",
    "iso2022_jp",
    "johab",
    "cp950",
}


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str
    source: str  # forced | bom | header | meta | utf-8 | detected | fallback


def normalize_charset(name: str | None) -> str | None:
    """The codec we decode with for a declared charset name (gb2312 -> gb18030), or None if unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def header_charset(content_type: str) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def declared_charset(content: bytes) -> str | None:
    """The charset named by a <meta> tag or an XML declaration near the top of the document."""
    match = _META_CHARSET.search(content, 0, _META_SCAN)
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("ascii", "replace")


def decode(content: bytes, content_type: str = "", forced: str | None = None) -> Decoded:
    """Decode a body, recording which evidence decided the charset."""
    if forced:
        codec = normalize_charset(forced) or forced
        return Decoded(content.decode(codec, "replace"), codec, "forced")
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return Decoded(content.decode(codec, "replace"), codec, "bom")

    header = normalize_charset(header_charset(content_type))
    meta = normalize_charset(declared_charset(content))
    candidates: list[tuple[str, str]] = []
    if header and not (header in _WEAK and meta and meta != header):
        candidates.append((header, "header"))
    if meta:
        candidates.append((meta, "meta"))
    if header and (header, "header") not in candidates:
        candidates.append((header, "header"))

    for codec, source in candidates:
        text = _strict(content, codec)
        if text is not None:
            if codec in _WEAK and not content.isascii():
                utf8 = _strict(content, "utf-8")
                if utf8 is not None:  # valid multi-byte UTF-8 is almost never meant as Latin-1
                    return Decoded(utf8, "utf-8", "detected")
            return Decoded(text, codec, source)
        nearly = _nearly(content, codec)
        if nearly is not None:  # a declaration that holds but for a stray bad byte is still right
            return Decoded(nearly, codec, source)

    utf8 = _strict(content, "utf-8")
    if utf8 is not None:
        return Decoded(utf8, "utf-8", "utf-8")
    return _detect(content)


def _strict(content: bytes, codec: str) -> str | None:
    try:
        return content.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _nearly(content: bytes, codec: str, tolerance: float = 0.001) -> str | None:
    try:
        text = content.decode(codec, "replace")
    except LookupError:
        return None
    return text if text.count("\ufffd") <= max(1, len(text) * tolerance) else None


def _detect(content: bytes) -> Decoded:
    from charset_normalizer import from_bytes

    best = from_bytes(content).best()
    guess = normalize_charset(best.encoding) if best is not None else None
    if guess is None or guess in _CJK_LEGACY:
        chinese = _strict(content, "gb18030")
        if chinese is not None and _han_ratio(chinese) >= 0.9:
            return Decoded(chinese, "gb18030", "detected")
    if guess is not None and best is not None:
        return Decoded(str(best), guess, "detected")
    return Decoded(content.decode("utf-8", "replace"), "utf-8", "fallback")


def _han_ratio(text: str) -> float:
    wide = [char for char in text if ord(char) > 0x7F]
    if not wide:
        return 0.0
    han = sum(
        1
        for char in wide
        if "\u4e00" <= char <= "\u9fff" or "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef"
    )
    return han / len(wide)
