"""`match`: a broad feed records only its domain items, counts the rest, and never loses or floods one."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from watcher.config.sources import parse_config
from watcher.core.errors import ConfigError
from watcher.core.models import Item
from watcher.pipeline.check import check_source
from watcher.pipeline.match import ItemFilter
from watcher.pipeline.wiring import build_pipeline
from watcher.store import Store

TERMS = ["rare earth", "critical mineral", "antimony", "magnet", "MP Materials", "稀土", "战略矿产", "钨"]


def feed(*entries: tuple[str, str]) -> bytes:
    """An RSS 2.0 section feed: (guid, title) pairs, newest first."""
    items = "".join(
        f"<item><title>{title}</title><link>https://news.example.org/{guid}</link>"
        f'<guid isPermaLink="false">tag:news.example.org,2025:{guid}</guid>'
        f"<description>{title}.</description><pubDate>Fri, 18 Jul 2025 09:00:00 GMT</pubDate></item>"
        for guid, title in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>World</title>{items}</channel></rss>'.encode()


WORLD = [
    ("a1", "China exposes foreign postal plots to steal rare earths"),
    ("a2", "European Union sanctions 2 Chinese banks over aid to Russia"),
    ("a3", "Apple inks $500m deal for rare earth magnets with US mining firm"),
    ("a4", "Typhoon lashes Hong Kong"),
    ("a5", "Nikkei slips ahead of election"),
]


def _short(item_id: str) -> str:
    return item_id.rsplit(":", 1)[-1]


def source_for(url: str, **match):
    entry = {"name": "world", "url": url, "kind": "feed", "retries": 0, "match": match or {"terms": TERMS}}
    config = parse_config({"settings": {"host_interval": 0}, "source": [entry]}, Path("t.toml"))
    return config, config.sources[0]


@pytest.fixture
def env(site, tmp_path):
    class Env:
        store = Store.open(tmp_path / "state")
        page = site.add("/world", feed(*WORLD), content_type="application/rss+xml")

        def configure(self, **match):
            config, self.source = source_for(site.url("/world"), **match)
            self.pipeline = build_pipeline(config, self.store)

        def check(self):
            return check_source(self.source, self.pipeline)

        def rows(self, sql):
            return self.store.db.execute(sql).fetchall()

        def ids(self):
            return sorted(_short(row[0]) for row in self.rows("SELECT item_id FROM items WHERE gone_at IS NULL"))

    environment = Env()
    environment.configure()
    yield environment
    environment.store.close()


def test_baseline_stores_only_the_domain_items_and_logs_the_count_left_out(env):
    first = env.check()
    assert first.status == "baseline" and first.changes == []  # the first check is still silent
    assert first.items == 2 and first.filtered == 3
    assert env.ids() == ["a1", "a3"]
    assert env.rows("SELECT status, items, filtered FROM checks") == [("baseline", 2, 3)]


def test_new_distractors_never_become_changes_and_a_new_domain_item_does(env, caplog):
    env.check()
    env.page.set_body(feed(("a6", "Senate deadlocked over shutdown"), ("a7", "China curbs antimony exports"), *WORLD))
    with caplog.at_level(logging.INFO, logger="watcher.pipeline.check"):
        second = env.check()
    assert [(c.change, _short(c.item.id)) for c in second.changes] == [("new", "a7")]
    assert second.filtered == 4
    assert env.rows("SELECT status, new, filtered FROM checks ORDER BY id") == [("baseline", 0, 3), ("ok", 1, 4)]
    line = [r for r in caplog.records if r.getMessage().startswith("check world:")][-1]  # the second check's
    assert "1 new" in line.getMessage() and "4 left out by match" in line.getMessage()
    assert line.filtered == 4  # the structured field, for JSON logs


def test_an_item_left_out_that_is_edited_into_the_domain_appears_as_new(env):
    env.check()
    edited = [
        (guid, "Typhoon delays rare earth shipments from Hong Kong" if guid == "a4" else title) for guid, title in WORLD
    ]
    env.page.set_body(feed(*edited))
    result = env.check()
    assert [(c.change, _short(c.item.id), c.item.title) for c in result.changes] == [
        ("new", "a4", "Typhoon delays rare earth shipments from Hong Kong")
    ]
    assert result.filtered == 2


def test_a_section_with_no_domain_item_today_is_ok_not_broken(env):
    env.page.set_body(feed(("b1", "Typhoon lashes Hong Kong"), ("b2", "Nikkei slips ahead of election")))
    result = env.check()
    assert result.status == "baseline" and result.error is None and result.items == 0 and result.filtered == 2


def test_widening_the_match_rebaselines_quietly(env):
    env.check()
    env.configure(terms=TERMS, labels=["market"])  # a wider match now keeps more of the same page
    result = env.check()
    assert result.status == "baseline" and result.changes == []


def test_labels_keep_what_the_classifier_files_under_them(env):
    env.configure(labels=["deal"])
    result = env.check()
    assert result.status == "baseline"
    assert env.ids() == ["a3"]  # Apple–MP deal; the smuggling story is enforcement
    assert result.filtered == 4


def item(title: str, text: str = "") -> Item:
    return Item(id=title, title=title, url="https://x.org/", text=text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Rare-earth magnets: Apple signs up", ""),  # hyphen, plural
        ("Beijing tightens grip", "Exports of rare earths fell in June."),  # only the text has it
        ("國安部揭露境外間諜以「焊錫膏」名義偷運戰略礦產", ""),  # traditional characters -> 战略矿产
        ("鎢價創新高", ""),  # traditional 鎢 -> 钨
        ("ＭＰ Ｍａｔｅｒｉａｌｓ shares jump", ""),  # full-width Latin, NFKC
    ],
)
def test_terms_are_matched_with_the_lexicon_normalisation(title, text):
    _, source = source_for("https://x.org/feed")
    assert ItemFilter().keeps(item(title, text), source.match)


@pytest.mark.parametrize("title", ["Magnetic personality wins the debate", "Earthquake rare in the region", "稀有动物"])
def test_terms_match_whole_words_not_fragments(title):
    _, source = source_for("https://x.org/feed")
    assert not ItemFilter().keeps(item(title), source.match)


@pytest.mark.parametrize(
    ("match", "message"),
    [
        ({}, "key 'match': give terms = [...] and/or labels = [...]"),
        ({"terms": ["re:rare.*earth"]}, "key 'match.terms': term 're:rare.*earth': regular expressions belong in"),
        ({"terms": ["MP材料"]}, "key 'match.terms': term 'MP材料': a Chinese term must start with a Chinese character"),
        ({"terms": ["rare earth", " "]}, "key 'match.terms': term ' ': empty"),
        ({"labels": ["irrelevant"]}, "key 'match.labels': unknown label(s) irrelevant"),
        ({"terms": "rare earth"}, "key 'match.terms'"),
    ],
)
def test_a_bad_match_is_a_message_naming_the_entry_and_key(match, message):
    entry = {"name": "world", "url": "https://x.org/feed", "kind": "feed", "match": match}
    with pytest.raises(ConfigError) as error:
        parse_config({"source": [entry]}, Path("sources.toml"))
    assert f"sources.toml: [[source]] 'world' (entry 1): {message}" in str(error.value)


def test_sources_without_match_keep_their_config_hash():
    """Adding the option must not re-baseline every existing source on upgrade."""
    base = {"name": "world", "url": "https://x.org/feed", "kind": "feed"}
    plain = parse_config({"source": [base]}, Path("t.toml")).sources[0]
    matched = parse_config({"source": [{**base, "match": {"terms": ["rare earth"]}}]}, Path("t.toml")).sources[0]
    shape = {"url": plain.url, "kind": plain.kind, "options": plain.options.model_dump(mode="json")}
    before = hashlib.sha1(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]  # the hash before `match`
    assert plain.config_hash == before and matched.config_hash != before
