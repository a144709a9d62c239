"""Score story clustering on a labelled set of stories: pairwise precision and recall, alerts per story.

    python bench/eval_cluster.py [--stories tests/data/stories.jsonl] [--split dev|test|all] [--explain]

Each row of the set is one report (`title`, `text`, `source`, `official`, `published`) and the story it
belongs to (`story`); a story of one report is a distractor (it shares a party, an element, an amount or a
day with another story, and must stay apart). Rows are fed in time order through what `watcher check` does
with a change: the shipped classifier, the event the pipeline makes (`pipeline.check.event_of`), and the real
store (`EventRecords.write` on a SQLite file, with each row's `published` as the clock). So the figures are
those of the product, window and candidate limit included.

Two methods are scored on the same rows:

* `keys`  - the method before issue 12: a shared key only (normalised title or document number);
* `story` - keys, then agreement of what the reports say (`store.stories.agreement`).

A pair of reports is a true positive when both methods' events are the same and the set says one story.
Precision = TP / pairs put together, recall = TP / pairs the set puts together. "Alerts per story" counts the
events that a story's relevant reports ended in (1 is the goal). The set is ours (tests/data/stories.jsonl,
with each title's source); its `dev` split was in view while the agreement weights were set, its `test`
split was scored once they were fixed, and is reported apart.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from watcher.analyze.analysis import analyze  # noqa: E402
from watcher.analyze.lexicon import load_lexicon  # noqa: E402
from watcher.core.models import Change, Item  # noqa: E402
from watcher.pipeline.check import event_of  # noqa: E402
from watcher.store import Store  # noqa: E402

OFFICIAL_PUBLISHERS = {"mofcom-policy-releases": "MOFCOM", "miit-ycls-wjfb": "MIIT", "mnr-tzgg": "MNR"}


@dataclass(frozen=True)
class _Source:
    name: str
    official: bool
    publisher: str | None


def load(path: Path, split: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    rows = [row for row in rows if split == "all" or row["split"] == split]
    return sorted(rows, key=lambda row: row["published"])


def cluster(rows: list[dict[str, Any]], method: str) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    """Each row's event id after feeding the rows through the store, and what the store wrote for it."""
    lexicon = load_lexicon()
    assigned: dict[str, int] = {}
    written: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as directory:
        store = Store.open(Path(directory))
        try:
            for row in rows:
                item = Item(id=row["id"], title=row["title"], url=f"https://example.org/{row['id']}", text=row["text"])
                analysis = analyze(row["title"], row["text"], official=row["official"], lexicon=lexicon)
                source = _Source(row["source"], row["official"], OFFICIAL_PUBLISHERS.get(row["source"]))
                event = event_of(Change(row["source"], "new", item), analysis, source)
                if method == "keys":
                    event.story = {}
                now = row["published"].replace("+00:00", "Z")
                with store.transaction():
                    (result,) = store.events.write([event], [], now)
                assigned[row["id"]] = result["id"]
                written[row["id"]] = result
        finally:
            store.close()
    return assigned, written


def pairwise(rows: list[dict[str, Any]], assigned: dict[str, int]) -> dict[str, Any]:
    tp = fp = fn = 0
    cross_tp = cross_fn = 0
    wrong: list[tuple[str, str]] = []
    missed: list[tuple[str, str]] = []
    for a, b in combinations(rows, 2):
        gold = a["story"] == b["story"]
        predicted = assigned[a["id"]] == assigned[b["id"]]
        cross = a["lang"] != b["lang"]
        if gold and predicted:
            tp += 1
            cross_tp += cross
        elif predicted:
            fp += 1
            wrong.append((a["id"], b["id"]))
        elif gold:
            fn += 1
            cross_fn += cross
            missed.append((a["id"], b["id"]))
    stories: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        stories[row["story"]].add(assigned[row["id"]])
    groups = {story: events for story, events in stories.items() if sum(r["story"] == story for r in rows) > 1}
    return {
        "pairs": tp + fp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "cross_language_recall": cross_tp / (cross_tp + cross_fn) if cross_tp + cross_fn else 1.0,
        "stories": len(groups),
        "one_event": sum(len(events) == 1 for events in groups.values()),
        "events_per_story": sum(len(events) for events in groups.values()) / len(groups) if groups else 0.0,
        "wrong": wrong,
        "missed": missed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=Path, default=ROOT / "tests" / "data" / "stories.jsonl")
    parser.add_argument("--split", choices=("dev", "test", "holdout", "all"), default="all")
    parser.add_argument("--explain", action="store_true", help="list the pairs each method got wrong")
    parser.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    args = parser.parse_args(argv)
    rows = load(args.stories, args.split)
    report: dict[str, Any] = {"rows": len(rows), "stories": len({row["story"] for row in rows})}
    labels: Counter[str] = Counter()
    for method in ("keys", "story"):
        assigned, written = cluster(rows, method)
        report[method] = pairwise(rows, assigned)
        if method == "story":
            labels = Counter(written[row["id"]]["label"] for row in rows)
    if args.json:
        print(json.dumps({k: v for k, v in report.items()}, default=list))
        return 0
    print(f"{args.stories.name} [{args.split}]: {report['rows']} reports, {report['stories']} stories")
    print("labels given by the classifier: " + ", ".join(f"{k} {v}" for k, v in labels.most_common()))
    print(f"{'method':8} {'precision':>9} {'recall':>7} {'x-lang recall':>13} {'one alert':>10} {'events/story':>12}")
    for method in ("keys", "story"):
        score = report[method]
        print(
            f"{method:8} {score['precision']:9.3f} {score['recall']:7.3f} {score['cross_language_recall']:13.3f} "
            f"{score['one_event']:>4}/{score['stories']:<5} {score['events_per_story']:12.2f}"
        )
    if args.explain:
        by_id = {row["id"]: row for row in rows}
        for method in ("keys", "story"):
            for kind in ("wrong", "missed"):
                for a, b in report[method][kind]:
                    print(f"  {method} {kind}: {by_id[a]['title'][:70]!r} ~ {by_id[b]['title'][:70]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
