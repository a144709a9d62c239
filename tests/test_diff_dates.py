"""Pure stages: date parsing and item diffing."""

from __future__ import annotations

import pytest

from watcher.core.models import Item
from watcher.diff import StoredItem, diff_items, text_diff
from watcher.extract.dates import parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-09", "2025-10-09"),
        ("[2025-10-09]", "2025-10-09"),
        ("2025年10月9日", "2025-10-09"),
        # a time without a zone keeps only its date: the zone is unknown, so the time cannot be stored as UTC
        ("发布时间：2025年04月04日 18:00", "2025-04-04"),
        ("2025/10/09 10:00", "2025-10-09"),
        ("2025-04-04 18:00:00", "2025-04-04"),
        ("Oct 9, 2025", "2025-10-09"),
        ("October 9th, 2025", "2025-10-09"),
        ("9 October 2025", "2025-10-09"),
        ("Sept. 30, 2025", "2025-09-30"),
        ("2025.10.09", "2025-10-09"),
        ("/202202/t20220222_2729417.html", "2022-02-22"),
        ("商务部公告2025年第61号", None),
        ("2025-13-40", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 15 Jul 2025 23:30:00 -0400", "2025-07-16T03:30:00Z"),  # RSS: the instant, in UTC
        ("Thu, 09 Oct 2025 08:00:00 +0800", "2025-10-09T00:00:00Z"),
        ("Thu, 09 Oct 2025 07:12:00 GMT", "2025-10-09T07:12:00Z"),
        ("Mon, 06 Jan 2025 09:00:00 EST", "2025-01-06T14:00:00Z"),
        ("2026-07-14T23:10:00.000Z", "2026-07-14T23:10:00Z"),  # ASX: UTC, already the next day in Sydney
        ("2021-04-16T21:53:26-04:00", "2021-04-17T01:53:26Z"),  # Atom
        ("2025-10-09T10:00+08:00", "2025-10-09T02:00:00Z"),
        ("Oct 9, 2025 10:00 PM EDT", "2025-10-10T02:00:00Z"),
        ("9 October 2025, 14:00 UTC", "2025-10-09T14:00:00Z"),
        ("2025-10-09 08:00 GMT+8", "2025-10-09T00:00:00Z"),
        ("2025-10-09 10:00-12:00", "2025-10-09"),  # a time range, not a zone
        ("2025-10-09 10:00 +2500", "2025-10-09"),  # no such offset
    ],
)
def test_parse_date_keeps_the_zone_as_a_utc_instant(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("value", "zone", "shown"),
    [
        ("2025-07-16T03:30:00Z", "UTC", "2025-07-16 03:30 UTC"),
        ("2025-07-16T03:30:00Z", "Europe/Berlin", "2025-07-16 05:30 CEST"),
        ("2026-07-14T23:10:00Z", "Australia/Sydney", "2026-07-15 09:10 AEST"),
        ("2025-10-09", "Asia/Tokyo", "2025-10-09"),  # a date has no zone: never shifted
        ("2025-07-15T23:30", "Europe/Berlin", "2025-07-15 23:30"),  # stored by an older watcher: zone unknown
        (None, "UTC", ""),
    ],
)
def test_display_shows_instants_in_the_display_zone_and_dates_as_they_are(value, zone, shown):
    from watcher.core.timestamps import display

    assert display(value, zone) == shown


def stored(item: Item, gone: bool = False) -> StoredItem:
    return StoredItem(item.id, item.hash, item.title, item.url, item.published, item.text, gone)


A = Item("a", "Notice A", "https://x.org/a")
B = Item("b", "Notice B", "https://x.org/b")
C = Item("c", "Notice C", "https://x.org/c")


def test_new_changed_removed():
    edited = Item("b", "Notice B (corrected)", "https://x.org/b")
    changes = diff_items("s", [C, A, edited], {"a": stored(A), "b": stored(B), "x": stored(Item("x", "X", "u"))})
    assert [(c.change, c.item.id) for c in changes] == [("new", "c"), ("changed", "b"), ("removed", "x")]
    assert changes[1].previous_text == ""


def test_item_that_comes_back_unchanged_is_not_new_again():
    assert diff_items("s", [A, B], {"a": stored(A), "b": stored(B, gone=True)}) == []


def test_gone_items_are_not_removed_twice():
    assert diff_items("s", [A], {"a": stored(A), "b": stored(B, gone=True)}) == []


def test_page_changes_carry_a_line_diff():
    old = Item("p", "Rules", "u", text="line one\nline two\nline three")
    new = Item("p", "Rules", "u", text="line one\nline 2\nline three\nline four")
    (change,) = diff_items("s", [new], {"p": stored(old)}, line_diff=True)
    assert change.diff == "- line two\n+ line 2\n+ line four"
    assert change.analysis_text == "line 2\nline four"


def test_text_diff_of_identical_lines_is_empty():
    assert text_diff("a\nb", "a\nb") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07/10/2025 06:30:00", "2025-07-10"),
        ("7/1/2025", "2025-07-01"),
        ("25/12/2025", "2025-12-25"),
    ],
)
def test_parse_us_dates(text, expected):
    assert parse_date(text) == expected
