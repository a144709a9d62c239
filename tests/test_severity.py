"""Severity from label, source and facts (rules in lexicon.toml), per-source overrides, and quota deltas."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.analyze.analysis import analyze, compute_quota_deltas
from watcher.analyze.lexicon import load_lexicon
from watcher.analyze.severity import severity
from watcher.core.errors import ConfigError


@pytest.mark.parametrize(
    ("label", "official", "facts", "level"),
    [
        ("quota", True, {"mining_tonnes": 135000}, "high"),
        ("quota", False, {"mining_tonnes": 135000}, "high"),  # a quota figure is actionable even when reported
        ("quota", False, {}, "medium"),
        ("export_control", True, {}, "high"),
        ("export_control", False, {}, "medium"),
        ("export_control", False, {"control_codes": ["1C902.a"]}, "high"),
        ("enforcement", False, {}, "medium"),
        ("enforcement", True, {}, "high"),
        ("deal", False, {}, "low"),
        ("deal", False, {"amount_usd": 120_000_000}, "medium"),
        ("deal", False, {"amounts_usd": [{"amount_usd": 1_250_000_000}]}, "high"),
        ("market", True, {"amount_usd": 10**10}, "low"),
        ("irrelevant", True, {"mining_tonnes": 1}, "low"),
    ],
)
def test_rules(label, official, facts, level):
    assert severity(label, official=official, facts=facts) == level


def test_overrides():
    assert severity("market", official=False, facts={}, override="high") == "high"
    assert severity("irrelevant", official=False, facts={}, override="high") == "low"  # never page on noise
    table = {"deal": "high", "*": "medium"}
    assert severity("deal", official=False, facts={}, override=table) == "high"
    assert severity("market", official=False, facts={}, override=table) == "medium"
    assert severity("quota", official=True, facts={}, override={"deal": "low"}) == "high"  # not named: computed
    with pytest.raises(ConfigError, match="urgent"):
        severity("quota", official=False, facts={}, override="urgent")


def test_rules_are_data(tmp_path: Path):
    user = tmp_path / "sev.toml"
    user.write_text('[severity.base]\nmarket = "medium"\n', "utf-8")
    assert severity("market", official=False, facts={}, lexicon=load_lexicon(user)) == "medium"


def test_analyze_combines_label_facts_and_severity():
    result = analyze(
        "工业和信息化部 自然资源部关于下达2024年第一批稀土开采、冶炼分离总量控制指标的通知",
        "一、2024年第一批稀土开采、冶炼分离总量控制指标分别为135000吨、127000吨。",
        official=True,
    )
    assert result.label == "quota" and result.severity == "high"
    assert result.facts["mining_tonnes"] == 135000 and result.facts["doc_type"] == "quota"
    assert "总量控制指标" in result.matched and result.score > 0
    noise = analyze("China's 2026 first batch fuel export quotas steady year on year", severity_override="high")
    assert noise.label == "irrelevant" and noise.severity == "low" and "doc_type" not in noise.facts


def test_quota_deltas_against_same_batch_last_year():
    history = [
        {"year": 2023, "batch": 1, "mining_tonnes": 120000, "smelting_tonnes": 115000, "published": "2023-03-24"},
        {"year": 2023, "batch": 2, "mining_tonnes": 120000, "published": "2023-09-27"},
    ]
    new = {"year": 2024, "batch": 1, "mining_tonnes": 135000, "smelting_tonnes": 127000}
    assert compute_quota_deltas(new, history) == {
        "mining_tonnes": {"previous": 120000, "against": "2023 batch 1", "change": 15000, "pct": 12.5},
        "smelting_tonnes": {"previous": 115000, "against": "2023 batch 1", "change": 12000, "pct": 10.43},
    }


def test_quota_deltas_fall_back_to_the_previous_batch_and_take_the_latest_record():
    history = [
        {"year": 2025, "batch": 1, "mining_tonnes": 100000, "published": "2025-02-01"},
        {"year": 2025, "batch": 1, "mining_tonnes": 110000, "published": "2025-02-10"},  # a corrected repost
    ]
    deltas = compute_quota_deltas({"year": 2025, "batch": 2, "mining_tonnes": 99000}, history)
    assert deltas == {"mining_tonnes": {"previous": 110000, "against": "2025 batch 1", "change": -11000, "pct": -10.0}}
    assert compute_quota_deltas({"year": 2025, "batch": 1, "mining_tonnes": 1}, []) == {}
    assert compute_quota_deltas({"mining_tonnes": 1}, history) == {}


def test_quota_history_reads_only_the_years_a_delta_compares_with(tmp_path):
    from watcher.core.models import NewEvent
    from watcher.store import Store

    store = Store.open(tmp_path)
    with store.transaction():
        store.events.write(
            [
                NewEvent(
                    source="miit",
                    label="quota",
                    severity="high",
                    title=f"{year} batch 1",
                    facts={"year": year, "batch": 1, "mining_tonnes": 100_000 + year},
                    keys=[f"k{year}"],
                )
                for year in range(2015, 2026)
            ],
            [],
            store.now(),
        )
    assert sorted(record["year"] for record in store.events.quota_history((2023, 2024))) == [2023, 2024]
    assert len(store.events.quota_history()) == 11
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT facts FROM events INDEXED BY events_quota_year "
        "WHERE label = 'quota' AND json_extract(facts, '$.year') IN (2023, 2024)"
    ).fetchall()
    assert "events_quota_year" in plan[0][-1]
    store.close()


def test_reloading_the_lexicon_does_not_keep_every_old_rules_table(tmp_path: Path):
    """A daemon reloads its lexicon on SIGHUP: the grouped severity rules of old loads must not pile up."""
    import gc
    import tracemalloc

    user = tmp_path / "sev.toml"
    user.write_text('[severity.base]\nmarket = "medium"\n', "utf-8")
    module = __import__("watcher.analyze.severity", fromlist=["severity"]).__file__

    def held_by_severity() -> int:
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, module)])
        return sum(stat.size for stat in snapshot.statistics("filename"))

    tracemalloc.start()
    try:
        severity("market", official=False, facts={}, lexicon=load_lexicon(user))
        after_one = held_by_severity()
        for _ in range(30):
            severity("market", official=False, facts={}, lexicon=load_lexicon(user))
        after_many = held_by_severity()
    finally:
        tracemalloc.stop()
    assert after_many <= after_one + 512  # one grouped table, not one per load
