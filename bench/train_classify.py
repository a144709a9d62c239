"""Train the classifier's statistical model and write it to watcher/data/classify_model.json.

    pip install -e '.[train]'          # scikit-learn, for training only
    python bench/train_classify.py     # the shipped model: every labelled file in tests/data/
    python bench/train_classify.py --without-added   # only the shared dev sets and our extra cases

The model is a multinomial logistic regression (L2, `C` below) over the
features of watcher/analyze/features.py: word and character n-grams seen in at
least `min_df` training texts, plus one feature per lexicon group the rules
found. The rules are applied first with the SHIPPED lexicon, so what the model
learns about a rule group is tied to that group's name; retrain after editing
the shipped lexicon's groups. Training is deterministic (lbfgs, no sampling):
the same files give the same weights. bench/eval_classify.py --cv reuses
`train()` to retrain the whole model for each fold.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = ROOT / "watcher" / "data" / "classify_model.json"
DEV_FILES = ("headlines_dev.jsonl", "headlines_extra.jsonl", "headlines_dev_external.jsonl")
ADDED_FILES = ("headlines_added.jsonl",)
C = 10.0
MIN_DF = 2
PRUNE = 0.01  # features whose largest |weight| is below this are dropped from the shipped file

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from watcher.analyze.classify import IRRELEVANT, collect, fields_of, model_inputs  # noqa: E402
from watcher.analyze.lexicon import Lexicon, load_lexicon  # noqa: E402
from watcher.analyze.model import FORMAT, Model  # noqa: E402

Features = tuple[set[str], dict[str, float]]


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus(added: bool = True) -> list[dict[str, Any]]:
    """The labelled rows, each tagged with the file it came from (`set`)."""
    rows = []
    for name in DEV_FILES + (ADDED_FILES if added else ()):
        for row in load_jsonl(DATA / name):
            rows.append({**row, "set": name.removesuffix(".jsonl")})
    return rows


def featurize(rows: Sequence[dict[str, Any]], lexicon: Lexicon | None = None) -> list[Features]:
    """The model's inputs for each row, computed exactly as at run time (the text read as a title)."""
    lexicon = lexicon or load_lexicon()
    out = []
    for row in rows:
        fields = fields_of(row.get("title") or row["text"], row.get("body", "") if row.get("title") else "", lexicon)
        out.append(model_inputs(collect(fields, lexicon), fields, lexicon))
    return out


def train(
    features: Sequence[Features], labels: Sequence[str], c: float = C, min_df: int = MIN_DF, meta: dict | None = None
) -> dict[str, Any]:
    """Fit the model on (features, label) pairs and return it as the JSON-ready dict Model() reads."""
    from scipy.sparse import csr_matrix  # the [train] extra
    from sklearn.linear_model import LogisticRegression

    df = Counter(feature for ngrams, _ in features for feature in ngrams)
    vocabulary: dict[str, int] = {}
    for feature, count in sorted(df.items()):
        if count >= min_df:
            vocabulary[feature] = len(vocabulary)
    for feature in sorted({f for _, rules in features for f in rules}):
        vocabulary.setdefault(feature, len(vocabulary))
    data, rows, cols = [], [], []
    for number, (ngrams, rules) in enumerate(features):
        known = [vocabulary[f] for f in ngrams if f in vocabulary]
        for col in known:
            data.append(1.0 / math.sqrt(len(known)))
            rows.append(number)
            cols.append(col)
        for feature, value in rules.items():
            data.append(value)
            rows.append(number)
            cols.append(vocabulary[feature])
    matrix = csr_matrix((data, (rows, cols)), shape=(len(features), len(vocabulary)))
    fitted = LogisticRegression(C=c, max_iter=5000).fit(matrix, list(labels))
    classes = [str(label) for label in fitted.classes_]
    coef = fitted.coef_ if len(classes) > 2 else [[-w for w in fitted.coef_[0]], list(fitted.coef_[0])]
    names = list(vocabulary)
    weights = {}
    for col, feature in enumerate(names):
        row = [round(float(coef[k][col]), 3) for k in range(len(classes))]
        if max(abs(w) for w in row) >= PRUNE:
            weights[feature] = row
    bias = [round(float(b), 3) for b in fitted.intercept_] if len(classes) > 2 else [0.0, float(fitted.intercept_[0])]
    return {"format": FORMAT, "labels": classes, "bias": bias, "weights": weights, "trained": meta or {}}


def fit_rows(rows: Sequence[dict[str, Any]], features: Sequence[Features], **options: Any) -> Model:
    return Model(train(features, [row["label"] for row in rows], **options), source="(trained in memory)")


def _digest(names: Sequence[str]) -> dict[str, str]:
    return {name: hashlib.sha256((DATA / name).read_bytes()).hexdigest()[:16] for name in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--without-added", action="store_true", help="leave out tests/data/headlines_added.jsonl")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    import sklearn

    rows = corpus(added=not args.without_added)
    files = DEV_FILES + (() if args.without_added else ADDED_FILES)
    meta = {
        "files": _digest(files),
        "rows": len(rows),
        "labels": dict(sorted(Counter(row["label"] for row in rows).items())),
        "C": C,
        "min_df": MIN_DF,
        "scikit_learn": sklearn.__version__,
        "command": "python bench/train_classify.py" + (" --without-added" if args.without_added else ""),
    }
    model = train(featurize(rows), [row["label"] for row in rows], meta=meta)
    assert IRRELEVANT in model["labels"]
    args.out.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(model['weights'])} features, {args.out.stat().st_size / 1024:.0f} KiB, {len(rows)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
