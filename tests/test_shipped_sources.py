"""The shipped sources.toml: valid, and each entry, unchanged, reads its real page's snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES

from watcher.config.sources import load_config
from watcher.extract.registry import make_extractor
from watcher.fetch.http import Fetcher
from watcher.pipeline.match import ItemFilter

SHIPPED = Path(__file__).parent.parent / "sources.toml"
CONFIG = load_config(SHIPPED)
SNAPSHOTS = FIXTURES / "sources"


def test_shipped_sources_toml_is_valid_and_covers_every_group():
    names = {source.name for source in CONFIG.sources}
    assert len(CONFIG.sources) >= 15
    for prefix in (
        "mofcom",
        "miit",
        "mnr",
        "gacc",
        "federal-register",
        "sec-",
        "dod",
        "mp-materials",
        "lynas",
        "mining-com",
    ):
        assert any(name.startswith(prefix) for name in names), prefix
    for source in CONFIG.sources:
        if source.host.endswith("gov.cn"):
            assert source.interval >= 1800, f"{source.name}: ministries are polled at most every 30 minutes"
        if source.host.endswith("sec.gov"):
            assert "@" in (source.user_agent or CONFIG.settings.user_agent), f"{source.name}: SEC needs a contact"


def test_every_shipped_source_has_a_snapshot():
    missing = [source.name for source in CONFIG.sources if not (SNAPSHOTS / source.name / "expected.json").exists()]
    assert missing == []


def _snapshot_items(site, source):
    case = SNAPSHOTS / source.name
    site.add_fixture("/snapshot", case)
    fetched = Fetcher(user_agent="t", host_interval=0).fetch(site.url("/snapshot"))
    fetched.final_url = source.url  # as if fetched from the real site: relative links resolve against it
    return make_extractor(source.kind).extract(fetched, source)


@pytest.mark.parametrize("source", CONFIG.sources, ids=lambda source: source.name)
def test_shipped_entry_extracts_its_snapshot(site, source):
    case = SNAPSHOTS / source.name
    items, _ = ItemFilter().apply(_snapshot_items(site, source), source)  # what the entry's `match` keeps
    expected = json.loads((case / "expected.json").read_text("utf-8"))
    got = [{"title": item.title, "url": item.url, "published": item.published} for item in items]
    want = [{key: entry.get(key) for key in ("title", "url", "published")} for entry in expected]
    assert got == want


MATCHED = [source for source in CONFIG.sources if source.match is not None]


def test_broad_feeds_are_matched_and_every_left_out_item_is_listed():
    """A section feed ships with `match`, and its snapshot holds the unrelated items match must leave out."""
    names = {source.name for source in MATCHED}
    assert {"scmp-china", "guardian-technology", "nypost-opinion", "mss-google-news-zh"} <= names
    for source in MATCHED:
        assert (SNAPSHOTS / source.name / "left_out.json").exists(), source.name


@pytest.mark.parametrize("source", MATCHED, ids=lambda source: source.name)
def test_match_keeps_the_domain_items_and_leaves_out_the_rest(site, source):
    items = _snapshot_items(site, source)
    kept, left_out = ItemFilter().apply(items, source)
    want_out = json.loads((SNAPSHOTS / source.name / "left_out.json").read_text("utf-8"))
    assert kept and want_out, "a snapshot of a broad feed needs both domain items and distractors"
    assert [item.title for item in items if item not in kept] == want_out
    assert left_out == len(want_out) == len(items) - len(kept)


def test_dod_entry_polls_the_releases_feed_its_snapshot_came_from():
    source = CONFIG.get("dod-releases")
    assert "ContentType=9&" in source.url  # ContentType=1 is the news-stories feed
    body = (SNAPSHOTS / "dod-releases" / "body.xml").read_text("utf-8")
    assert "<title>News Releases</title>" in body
    assert f'<atom:link href="{source.url.replace("&", "&amp;")}" rel="self"' in body


@pytest.mark.parametrize("list_class", ["conList_ull", "conList_ul"])
def test_gacc_entry_matches_both_list_classes(site, list_class):
    source = CONFIG.get("gacc-news")
    body = (SNAPSHOTS / "gacc-news" / "body.html").read_text("utf-8")
    assert 'class="conList_ull"' in body  # the class real list pages use
    site.add("/list", body.replace('class="conList_ull"', f'class="{list_class}"'))
    fetched = Fetcher(user_agent="t", host_interval=0).fetch(site.url("/list"))
    fetched.final_url = source.url
    expected = json.loads((SNAPSHOTS / "gacc-news" / "expected.json").read_text("utf-8"))
    assert [item.title for item in make_extractor("html").extract(fetched, source)] == [e["title"] for e in expected]
