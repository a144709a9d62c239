"""Cross-validated scores of the whole classifier (rules + a model retrained without the rows it scores).

Used by `bench/eval_classify.py --cv`. Two splits:

* k-fold (stratified by label, seeded): every labelled row of the shipped dev
  files is scored once by a model trained on the other folds - with or without
  our added cases (tests/data/headlines_added.jsonl) in every training fold;
* by source: each source domain of the external set (real records from real
  pages, each with its address) is held out in turn, the model trained on
  everything else, so no page of a held-out site ever taught the model.

The rules are fixed data and are not refitted per fold. They were written with
headlines_dev and headlines_extra in view (and this change's rule edits with
the external set in view), so their share of any score here is flattering;
`rules_only` shows the rules alone on the same rows for comparison.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from train_classify import corpus, featurize, fit_rows

from watcher.analyze.classify import classify
from watcher.analyze.lexicon import Lexicon, compile_lexicon, load_lexicon

LABELS = ["quota", "export_control", "enforcement", "deal", "market", "irrelevant"]
KIND = {"headline": "headline", "headline_url": "headline", "lead": "lead", "summary": "lead"}


def kind_of(row: dict[str, Any]) -> str:
    return KIND.get(str(row.get("kind")), "unmarked")


def domain_of(row: dict[str, Any]) -> str:
    host = urlsplit(row.get("url") or "").hostname or ""
    return host.removeprefix("www.").removeprefix("m.")


def score(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Per-label precision/recall/F1, macro-F1 (labels present in gold or predicted), accuracy, confusion."""
    labels = [label for label in LABELS if any(label in pair for pair in pairs)]
    per_label = {}
    for label in labels:
        tp = sum(1 for gold, pred in pairs if gold == pred == label)
        fp = sum(1 for gold, pred in pairs if pred == label != gold)
        fn = sum(1 for gold, pred in pairs if gold == label != pred)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    return {
        "n": len(pairs),
        "accuracy": sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0,
        "macro_f1": sum(v["f1"] for v in per_label.values()) / len(per_label) if per_label else 0.0,
        "per_label": per_label,
        "labels": labels,
        "confusion": Counter(pairs),
    }


def stratified_folds(rows: Sequence[dict[str, Any]], k: int, seed: int) -> list[list[int]]:
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_label[row["label"]].append(index)
    folds: list[list[int]] = [[] for _ in range(k)]
    rng, at = random.Random(seed), 0
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        for index in members:
            folds[at % k].append(index)
            at += 1
    return folds


def rules_only(lexicon: Lexicon) -> Lexicon:
    """The same lexicon with the model switched off."""
    data = dict(lexicon.data)
    data["model"] = {**data.get("model", {}), "enabled": False}
    return compile_lexicon(data, lexicon.sources)


def _predict(rows, features, train_index, test_index, extra_rows, extra_features, lexicon) -> list[str]:
    model = fit_rows(
        [rows[i] for i in train_index] + list(extra_rows), [features[i] for i in train_index] + list(extra_features)
    )
    return [classify(rows[i]["text"], "", lexicon, model).label for i in test_index]


def cross_validate(
    k: int = 5, seed: int = 0, with_added: bool = True, lexicon: Lexicon | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """(rows, prediction per row): k-fold over the shipped dev files."""
    lexicon = lexicon or load_lexicon()
    rows = corpus(added=False)
    features = featurize(rows, lexicon)
    added = [row for row in corpus(added=True) if row["set"] == "headlines_added"] if with_added else []
    added_features = featurize(added, lexicon)
    predictions = [""] * len(rows)
    everything = set(range(len(rows)))
    for fold in stratified_folds(rows, k, seed):
        train_index = sorted(everything - set(fold))
        for index, label in zip(
            fold, _predict(rows, features, train_index, fold, added, added_features, lexicon), strict=True
        ):
            predictions[index] = label
    return rows, predictions


def by_source(with_added: bool = True, lexicon: Lexicon | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """(external rows, predictions): each source domain of the external set held out in turn."""
    lexicon = lexicon or load_lexicon()
    everything = corpus(added=with_added)
    features = featurize(everything, lexicon)
    external = [i for i, row in enumerate(everything) if row["set"] == "headlines_dev_external"]
    groups: dict[str, list[int]] = defaultdict(list)
    for index in external:
        groups[domain_of(everything[index])].append(index)
    predictions: dict[int, str] = {}
    for domain, held in sorted(groups.items()):
        train_index = [i for i, row in enumerate(everything) if domain_of(row) != domain or not row.get("url")]
        train_index = [i for i in train_index if i not in set(held)]
        for index, label in zip(held, _predict(everything, features, train_index, held, [], [], lexicon), strict=True):
            predictions[index] = label
    return [everything[i] for i in external], [predictions[i] for i in external]


def breakdown(
    rows: Sequence[dict[str, Any]], predictions: Sequence[str], key: Callable[[dict[str, Any]], str]
) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row, pred in zip(rows, predictions, strict=True):
        groups[key(row)].append((row["label"], pred))
    return {name: score(pairs) for name, pairs in sorted(groups.items())}
