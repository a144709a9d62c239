"""The classifier's two halves together: the issue's misses, the model file, the precedence, --explain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.analyze.classify import classify, explain
from watcher.analyze.features import stem, text_features
from watcher.analyze.lexicon import load_lexicon
from watcher.analyze.model import Model, load_model
from watcher.cli import cli
from watcher.core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

# Seen by a new user (issue 11), not taken from any held-out set: each was mislabelled before.
MISSES = [
    ("商务部公告2025年第70号 关于暂停实施2025年第61号公告的公告", "export_control"),
    ("China to require permits for shipments of graphite anode material", "export_control"),
    ("Beijing quietly sets 2025 rare earth production targets", "quota"),
    ("China rare earth output allowance rises 6% in first tranche", "quota"),
    ("China to Restrict Exports of Metals Critical to Chip Production", "export_control"),
    ("China to tighten exports of a key EV battery material", "export_control"),
]


@pytest.mark.parametrize(("text", "label"), MISSES)
def test_the_reported_misses(text, label):
    assert classify(text).label == label


def test_about_supply_is_never_irrelevant_even_without_an_event():
    result = classify("Lynas Rare Earths chief executive to step down next year")
    assert result.label == "market"


def test_distractors_that_share_the_words_stay_irrelevant():
    assert classify("商务部:适度扩大对无人机的出口管制 不针对任何特定国家和地区").label == "irrelevant"
    assert classify("Rare Earth are an American rock band.").label == "irrelevant"
    assert classify("India extends sugar export ban").label == "irrelevant"


def test_features_share_stems_and_read_chinese_without_a_segmenter():
    assert stem("restrictions") == stem("restricted") == "restrict"
    assert stem("licences") == stem("licenses")
    feats = text_features("出口管制 curbs")
    assert {"出口", "口管", "管制", "出", "curb"} <= feats


def test_the_shipped_model_is_small_and_scored_without_scikit_learn():
    path = ROOT / "watcher" / "data" / "classify_model.json"
    assert path.stat().st_size < 400_000
    code = (
        "import sys; from watcher.analyze.classify import classify; "
        "r = classify('China bans gallium exports'); "
        "assert r.probabilities, r; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'numpy', 'scipy')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_cli_does_not_load_the_model_until_it_classifies():
    code = "import sys, watcher.cli, watcher.pipeline.check; assert 'watcher.analyze.model' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_broken_model_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.json"
    bad.write_text('{"format": 1, "labels": ["a", "b"], "bias": [0], "weights": {}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="one value per label"):
        load_model(str(bad))
    with pytest.raises(ConfigError, match="cannot read"):
        load_model(str(tmp_path / "missing.json"))


def _user(tmp_path: Path, text: str):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return load_lexicon(path)


def test_model_off_leaves_the_rules_alone(tmp_path):
    lexicon = _user(tmp_path, "[model]\nenabled = false\n")
    result = classify("China to require permits for shipments of graphite anode material", lexicon=lexicon)
    assert result.decided_by == "rules" and not result.probabilities


def test_a_decisive_user_group_overrides_the_model(tmp_path):
    text = "Rare earth magnet maker opens a recycling line"
    assert classify(text).label == "market"
    lexicon = _user(
        tmp_path, '[[labels.deal.terms]]\nname = "ours"\nweight = 1.0\ndecisive = true\nterms = ["recycling line"]\n'
    )
    result = classify(text, lexicon=lexicon)
    assert (result.label, result.decided_by) == ("deal", "decisive term")


def test_a_user_label_the_model_does_not_know_wins_when_the_rules_pick_it(tmp_path):
    lexicon = _user(
        tmp_path,
        'scoring.order = ["quota", "export_control", "enforcement", "deal", "market", "recycling"]\n'
        '[labels.recycling]\n[[labels.recycling.terms]]\nweight = 6.0\nterms = ["recycling", "回收"]\n',
    )
    result = classify("Rare earth magnet recycling plant opens in Texas", lexicon=lexicon)
    assert result.label == "recycling"


def test_a_new_user_group_votes_through_the_model_with_its_weight(tmp_path):
    text = "Rare earth magnet maker opens a recycling line"
    lexicon = _user(tmp_path, '[[labels.deal.terms]]\nname = "ours"\nweight = 9.0\nterms = ["recycling line"]\n')
    assert classify(text, lexicon=lexicon).label == "deal"


def test_explain_shows_each_part(tmp_path):
    report = explain("China to require permits for shipments of graphite anode material")
    assert report["label"] == "export_control"
    assert report["rules"]["export_control"]["terms"]
    assert report["model"]["export_control"]["p"] > 0.5
    assert set(report["combined"]) == {"quota", "export_control", "enforcement", "deal", "market"}
    out = CliRunner().invoke(cli, ["classify", "--explain", "Beijing quietly sets 2025 rare earth production targets"])
    assert out.exit_code == 0, out.output
    assert "decision:  quota" in out.output and "model:" in out.output and "mix:" in out.output
    out = CliRunner().invoke(cli, ["classify", "--explain", "--json", "Tungsten prices stabilise"])
    assert json.loads(out.output)["explain"]["decided_by"] == "rules + model"


def test_the_shipped_model_is_what_the_training_script_makes():
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(ROOT / "bench"))
    import train_classify

    rows = train_classify.corpus()
    fresh = Model(train_classify.train(train_classify.featurize(rows), [row["label"] for row in rows]))
    shipped = load_model()
    assert fresh.labels == shipped.labels
    assert fresh.weights == shipped.weights, "retrain: python bench/train_classify.py"
