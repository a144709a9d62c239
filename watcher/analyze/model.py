"""The statistical half of the classifier: a linear model over n-grams and the rules' evidence.

Trained by `bench/train_classify.py` (scikit-learn, the `[train]` extra) on the
labelled corpus in tests/data/ and shipped as JSON in watcher/data/: per
feature, one weight per label. Scoring is pure Python - a dict lookup per
feature and a sum - so nothing but the standard library is needed at run time,
and the file is read only on the first classification (`watcher check` with
nothing to classify never loads it).

A text's n-gram features are weighted 1/sqrt(n) (n = how many of them the
model knows), as in training; rule features keep their value (1 for a term in
a title). The result is a probability per label (softmax of the sums).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from watcher.analyze.features import RULE
from watcher.core.errors import ConfigError

SHIPPED_MODEL = "classify_model.json"
FORMAT = 1


@dataclass(frozen=True)
class Vote:
    """What the model said about one text: probabilities and, per label, where the sum came from."""

    probabilities: dict[str, float]
    bias: dict[str, float]
    from_rules: dict[str, float]
    from_ngrams: dict[str, float]
    top: dict[str, list[tuple[str, float]]]  # per label: the features that pushed it most, with their share


class Model:
    """A trained linear model, ready to score feature sets."""

    def __init__(self, data: dict[str, Any], source: str = SHIPPED_MODEL) -> None:
        if data.get("format") != FORMAT:
            raise ConfigError(f"{source}: model format {data.get('format')!r}, expected {FORMAT}")
        self.source = source
        self.labels: tuple[str, ...] = tuple(data["labels"])
        self.bias: tuple[float, ...] = tuple(data["bias"])
        self.weights: dict[str, tuple[float, ...]] = {key: tuple(value) for key, value in data["weights"].items()}
        self.meta: dict[str, Any] = data.get("trained", {})
        size = len(self.labels)
        if len(self.bias) != size or any(len(w) != size for w in self.weights.values()):
            raise ConfigError(f"{source}: every weight row must have one value per label ({size})")

    def _rows(self, ngrams: set[str], rules: dict[str, float]) -> tuple[list, list]:
        weights = self.weights
        known = [(feature, row) for feature in ngrams if (row := weights.get(feature)) is not None]
        ruled = [(feature, row, value) for feature, value in rules.items() if (row := weights.get(feature)) is not None]
        return known, ruled

    def scores(
        self, ngrams: set[str], rules: dict[str, float], extra: dict[str, float] | None = None
    ) -> dict[str, float]:
        """Probability per label; `extra` adds to a label's sum (votes of rule groups the model never saw).
        The hot path: a few dozen lookups and one transposed sum."""
        known, ruled = self._rows(ngrams, rules)
        totals = list(self.bias)
        if extra:
            for index, label in enumerate(self.labels):
                totals[index] += extra.get(label, 0.0)
        if known:
            scale = 1.0 / math.sqrt(len(known))
            for index, column in enumerate(zip(*(row for _, row in known), strict=True)):
                totals[index] += scale * sum(column)
        for _, row, value in ruled:
            for index, weight in enumerate(row):
                totals[index] += value * weight
        return dict(zip(self.labels, _softmax(totals), strict=True))

    def vote(
        self, ngrams: set[str], rules: dict[str, float], extra: dict[str, float] | None = None, top: int = 4
    ) -> Vote:
        """scores() with its parts, for --explain (unseen rule groups' votes count in `from_rules`)."""
        known, ruled = self._rows(ngrams, rules)
        scale = 1.0 / math.sqrt(len(known)) if known else 0.0
        labels = self.labels
        contributions: list[tuple[str, list[float]]] = [(f, [scale * w for w in row]) for f, row in known]
        contributions += [(f, [value * w for w in row]) for f, row, value in ruled]
        from_ngrams = [sum(scale * row[i] for _, row in known) for i in range(len(labels))]
        from_rules = [
            sum(value * row[i] for _, row, value in ruled) + (extra or {}).get(label, 0.0)
            for i, label in enumerate(labels)
        ]
        totals = [b + n + r for b, n, r in zip(self.bias, from_ngrams, from_rules, strict=True)]
        best = {
            label: [
                (feature, round(parts[i], 3))
                for feature, parts in sorted(contributions, key=lambda c: -c[1][i])[:top]
                if parts[i] > 0
            ]
            for i, label in enumerate(labels)
        }
        return Vote(
            probabilities=dict(zip(labels, _softmax(totals), strict=True)),
            bias=dict(zip(labels, self.bias, strict=True)),
            from_rules=dict(zip(labels, from_rules, strict=True)),
            from_ngrams=dict(zip(labels, from_ngrams, strict=True)),
            top=best,
        )

    def evidence(self, ngrams: set[str], label: str, limit: int = 3, floor: float = 0.15) -> list[str]:
        """The n-grams that pushed `label` most (shown in `matched` when the model decided)."""
        if label not in self.labels:
            return []
        index = self.labels.index(label)
        known = [(feature, row[index]) for feature in ngrams if (row := self.weights.get(feature)) is not None]
        if not known:
            return []
        scale = 1.0 / math.sqrt(len(known))
        ranked = sorted(known, key=lambda pair: -pair[1])
        return [feature for feature, weight in ranked[:limit] if weight * scale >= floor]


def _softmax(values: list[float]) -> list[float]:
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def is_rule_feature(feature: str) -> bool:
    return feature.startswith(RULE)


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> Model:
    """The shipped model (or the JSON file at `path`), read once per process."""
    if path is None:
        text = resources.files("watcher").joinpath("data", SHIPPED_MODEL).read_text(encoding="utf-8")
        source = SHIPPED_MODEL
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"{path}: cannot read the model file ({error.strerror})") from None
        source = path
    try:
        return Model(json.loads(text), source)
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ConfigError(f"{source}: not a watcher model file ({error})") from None
