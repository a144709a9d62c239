"""The targets, measured by the evaluation script itself.

The per-file checks are a fit (the model was trained on these rows, the rules written with them in view):
guards against a regression, not accuracy. The cross-validated check retrains the model per fold."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def evaluation():
    spec = importlib.util.spec_from_file_location("eval_classify", ROOT / "bench" / "eval_classify.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_classify"] = module
    spec.loader.exec_module(module)
    return module


def test_dev_headlines_fit(evaluation):
    result = evaluation.evaluate_headlines(evaluation.load_jsonl(DATA / "headlines_dev.jsonl"))
    assert result["n"] == 62
    assert result["macro_f1"] >= 0.90, result["errors"]


def test_extra_headlines_fit(evaluation):
    result = evaluation.evaluate_headlines(evaluation.load_jsonl(DATA / "headlines_extra.jsonl"))
    assert result["n"] >= 80
    assert result["macro_f1"] >= 0.90, result["errors"]


def test_dev_facts_exact_match(evaluation):
    result = evaluation.evaluate_facts(evaluation.load_jsonl(DATA / "facts_dev.jsonl"))
    assert result["n"] == 14
    assert result["exact_match"] >= 0.90, result["failures"]


def test_extra_facts_exact_match(evaluation):
    result = evaluation.evaluate_facts(evaluation.load_jsonl(DATA / "facts_extra.jsonl"))
    assert result["exact_match"] >= 0.90, result["failures"]


def test_the_comparison_rules_are_strict(evaluation):
    compare = evaluation.compare_field
    assert compare("amounts_usd", [{"amount_usd": 1}, {"amount_usd": 2}], [{"amount_usd": 2}, {"amount_usd": 1}])
    assert not compare("amounts_usd", [{"amount_usd": 1}], [{"amount_usd": 1}, {"amount_usd": 3}])  # no extras
    assert compare("parties", ["U.S. Department of War (Office of Strategic Capital)"], ["U.S. Department of War"])
    assert not compare("parties", ["United States", "Australia"], ["United States Government"])  # one-to-one
    assert not compare("doc_no", None, "工信部联原〔2023〕159号")
    assert compare(
        "allocations",
        [{"company": "包头钢铁集团公司", "mining_tonnes": 44130}],
        [{"company": "包头钢铁集团公司", "mining_tonnes": 44130}],
    )
    assert not compare(
        "allocations",
        [{"company": "包头钢铁集团公司", "mining_tonnes": 44130}],
        [{"company": "包头钢铁集团公司", "mining_tonnes": 44131}],
    )


def test_the_speed_benchmark_runs(evaluation):
    """`bench/eval_classify.py --speed` works; its figure is a benchmark's, not a timed test's."""
    rows = evaluation.load_jsonl(DATA / "headlines_dev.jsonl")
    timings = evaluation.speed(rows, 200, runs=2)
    assert len(timings) == 2 and all(seconds > 0 for seconds in timings)


def test_cross_validated_macro_f1_and_recall(evaluation):
    pytest.importorskip("sklearn")
    import classify_cv

    rows, predictions = classify_cv.cross_validate(k=5, with_added=True)
    result = classify_cv.score([(row["label"], pred) for row, pred in zip(rows, predictions, strict=True)])
    assert result["n"] >= 336
    assert result["macro_f1"] >= 0.90
    assert result["per_label"]["quota"]["recall"] >= 0.90
    assert result["per_label"]["export_control"]["recall"] >= 0.95


def test_folds_are_stratified_and_disjoint(evaluation):
    import classify_cv

    rows = [{"label": label} for label in ["a"] * 10 + ["b"] * 5]
    folds = classify_cv.stratified_folds(rows, 5, seed=0)
    assert sorted(i for fold in folds for i in fold) == list(range(15))
    assert all(sum(rows[i]["label"] == "b" for i in fold) == 1 for fold in folds)
