"""The one list of labels: what the classifier can say, what routes, config and messages may name.

The list is data, read from the lexicon: the shipped `watcher/data/lexicon.toml`'s `scoring.order` plus
`irrelevant`, extended by the labels of a user lexicon (`[settings] lexicon`), and `overdue`, which no
classifier says: it is the alert of an `[[expect]]` entry whose notice is late (listed first, so a digest
opens with what did not come). A new label is therefore a lexicon change only: `[labels.NAME]` with its
terms, and NAME in `scoring.order`; routes, the severity tables of sources.toml and the digest sections
follow. The classifier reads the same lexicon.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from watcher.core.errors import ConfigError

IRRELEVANT = "irrelevant"
HEALTH = "health"  # ops alerts (source broken, channel failing): not a classification
OVERDUE = "overdue"  # an [[expect]] entry's alert: a due notice that did not come; routed like any label


@dataclass(frozen=True)
class Labels:
    """Labels in display and tie-break order (`irrelevant` last), with the names messages show."""

    order: tuple[str, ...]
    names: tuple[tuple[str, str], ...] = ()  # (label, display name) the lexicon sets with `display = "..."`

    def __contains__(self, label: object) -> bool:
        return label in self.order

    def __iter__(self):
        return iter(self.order)

    @property
    def relevant(self) -> tuple[str, ...]:
        """Every label but `irrelevant`: what a route without `labels` matches."""
        return tuple(label for label in self.order if label != IRRELEVANT)

    def display(self, label: str) -> str:
        """The name an alert shows: the lexicon's `display`, else `export_control` -> `EXPORT CONTROL`."""
        for name, shown in self.names:
            if name == label:
                return shown
        return display_name(label)

    def check(self, labels: Any, where: str = "labels") -> None:
        """Raise ValueError naming the labels that are not in the list (pydantic turns it into a message)."""
        unknown = sorted({str(label) for label in labels} - set(self.order))
        if unknown:
            raise ValueError(
                f"unknown label(s) {', '.join(unknown)} in {where}; labels are {', '.join(self.order)} "
                "(a user lexicon adds labels: [labels.NAME] and NAME in scoring.order)"
            )


def display_name(label: str) -> str:
    if label == IRRELEVANT:
        return "OTHER"
    return label.replace("_", " ").upper()


def _labels_of(data: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    tables = data.get("labels", {}) if isinstance(data.get("labels"), dict) else {}
    order = data.get("scoring", {}).get("order", []) if isinstance(data.get("scoring"), dict) else []
    names = [str(label) for label in [*order, *tables] if isinstance(label, str)]
    shown = [
        (label, str(table["display"]))
        for label, table in tables.items()
        if isinstance(table, dict) and isinstance(table.get("display"), str)
    ]
    return names, shown


def _build(*datas: dict[str, Any]) -> Labels:
    order: list[str] = []
    names: list[tuple[str, str]] = []
    for data in reversed(datas):  # the user's order first (its scoring.order replaces the shipped one)
        found, shown = _labels_of(data)
        for label in found:
            if label not in order and label != IRRELEVANT:
                order.append(label)
        for pair in shown:
            if pair[0] not in dict(names):
                names.append(pair)
    return Labels(order=(OVERDUE, *[label for label in order if label != OVERDUE], IRRELEVANT), names=tuple(names))


@lru_cache(maxsize=1)
def shipped() -> Labels:
    """The labels of the shipped lexicon."""
    text = resources.files("watcher").joinpath("data", "lexicon.toml").read_text(encoding="utf-8")
    return _build(tomllib.loads(text))


def load_labels(user_lexicon: Path | None = None) -> Labels:
    """The shipped labels, extended (and reordered) by a user lexicon's `scoring.order` and `[labels.*]`."""
    if user_lexicon is None:
        return shipped()
    path = Path(user_lexicon)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: lexicon file not found", hint="check [settings] lexicon in sources.toml") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the lexicon: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    text = resources.files("watcher").joinpath("data", "lexicon.toml").read_text(encoding="utf-8")
    return _build(tomllib.loads(text), data)
