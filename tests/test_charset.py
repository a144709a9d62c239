"""Charset decisions on the encodings Chinese ministry pages and their mirrors really use."""

from __future__ import annotations

import codecs

from watcher.fetch.charset import decode, normalize_charset

TITLE = "工业和信息化部 自然资源部关于下达2024年第一批稀土开采、冶炼分离总量控制指标的通知 朱镕基 喆"


def page(charset_meta: str | None, title: str = TITLE) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">' if charset_meta else ""
    return f"<html><head>{meta}<title>通知</title></head><body><a href='/a.html'>{title}</a></body></html>"


def test_gbk_declared_gb2312_in_meta_without_header():
    body = page("gb2312").encode("gbk")  # 镕 and 喆 are GBK, not GB2312
    decoded = decode(body, "text/html")
    assert decoded.charset == "gb18030" and decoded.source == "meta"
    assert TITLE in decoded.text


def test_meta_found_after_a_long_head():
    head = "<style>" + "a{color:red}" * 400 + "</style>"  # 4.8 KB before the meta tag
    body = f"<html><head>{head}<meta charset='gbk'></head><body>{TITLE}</body></html>".encode("gbk")
    assert TITLE in decode(body, "text/html").text


def test_header_charset_wins_when_it_decodes():
    body = page(None).encode("utf-8")
    decoded = decode(body, "text/html; charset=UTF-8")
    assert decoded.source == "header" and TITLE in decoded.text


def test_wrong_header_charset_falls_back_to_meta():
    body = page("gbk").encode("gbk")
    decoded = decode(body, "text/html; charset=utf-8")  # the header lies
    assert decoded.source == "meta" and TITLE in decoded.text


def test_weak_latin1_header_loses_to_meta():
    body = page("gb2312").encode("gbk")
    decoded = decode(body, "text/html; charset=ISO-8859-1")
    assert decoded.charset == "gb18030" and TITLE in decoded.text


def test_latin1_header_on_utf8_body_is_read_as_utf8():
    body = page(None).encode("utf-8")
    decoded = decode(body, "text/html; charset=iso-8859-1")
    assert decoded.charset == "utf-8" and TITLE in decoded.text


def test_undeclared_gbk_is_detected_as_chinese():
    body = page(None).encode("gbk")
    decoded = decode(body, "text/html")
    assert decoded.charset == "gb18030" and decoded.source == "detected"
    assert TITLE in decoded.text


def test_short_undeclared_gbk_is_not_taken_for_korean():
    decoded = decode("<p>工业和信息化部</p>".encode("gbk"), "")
    assert "工业和信息化部" in decoded.text


def test_undeclared_utf8():
    decoded = decode(page(None).encode("utf-8"), "text/html")
    assert decoded.charset == "utf-8" and TITLE in decoded.text


def test_forced_encoding_overrides_everything():
    body = page("utf-8").encode("gbk")
    decoded = decode(body, "text/html; charset=utf-8", forced="gbk")
    assert decoded.source == "forced" and TITLE in decoded.text


def test_bom_wins():
    body = codecs.BOM_UTF8 + page("gb2312").encode("utf-8")
    decoded = decode(body, "text/html; charset=gbk")
    assert decoded.source == "bom" and TITLE in decoded.text


def test_one_stray_byte_keeps_the_declared_charset():
    body = page("gbk").encode("gbk").replace(b"</body>", b"\xff</body>")
    decoded = decode(body, "text/html")
    assert decoded.charset == "gb18030" and TITLE in decoded.text


def test_aliases():
    assert normalize_charset("GB2312") == "gb18030"
    assert normalize_charset('"gbk"') == "gb18030"
    assert normalize_charset("x-unknown") is None
