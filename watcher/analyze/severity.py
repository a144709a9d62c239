"""How urgently a change should reach a person: high, medium or low.

The rules are data (the [severity] table of lexicon.toml): a base level per
label, raised by an official primary source and by facts that make the news
actionable (a quota figure, a named amount). A source can pin the result in
sources.toml, as one level or as a table label -> level.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watcher.analyze.lexicon import Lexicon, load_lexicon
from watcher.core.errors import ConfigError
from watcher.core.labels import IRRELEVANT

LEVELS = ("low", "medium", "high")


def _usd_values(facts: Mapping[str, Any]) -> list[float]:
    values = [facts.get("amount_usd")] + [m.get("amount_usd") for m in facts.get("amounts_usd") or []]
    return [v for v in values if isinstance(v, int | float)]


# The raise rules of the last rules table seen, grouped by label. One entry, not one per table: a daemon
# that reloads its lexicon compiles a new table each time, and a cache keyed by table kept every old one.
_grouped: tuple[dict[str, Any], dict[str, list[dict[str, Any]]]] | None = None


def _rules_for(rules: dict[str, Any], label: str) -> list[dict[str, Any]]:
    """The raise rules that can apply to `label`, grouped once per rules table."""
    global _grouped
    cached = _grouped
    if cached is None or cached[0] is not rules:
        by_label: dict[str, list[dict[str, Any]]] = {}
        for rule in rules.get("raise", []):
            for name in rule.get("labels", ["*"]):
                by_label.setdefault(name, []).append(rule)
        cached = _grouped = (rules, by_label)  # one assignment: a reader in another thread sees old or new
    return cached[1].get(label, []) + cached[1].get("*", [])


def _rule_matches(rule: Mapping[str, Any], label: str, official: bool, facts: Mapping[str, Any]) -> bool:
    if "labels" in rule and label not in rule["labels"]:
        return False
    if "official" in rule and bool(rule["official"]) != official:
        return False
    if "any_fact" in rule and not any(facts.get(key) for key in rule["any_fact"]):
        return False
    return not ("min_amount_usd" in rule and max(_usd_values(facts), default=0) < rule["min_amount_usd"])


def _check(level: str, levels: tuple[str, ...], where: str) -> str:
    if level not in levels:
        raise ConfigError(f"{where}: severity {level!r} is not one of {', '.join(levels)}")
    return level


def severity(
    label: str,
    *,
    official: bool,
    facts: Mapping[str, Any],
    override: str | Mapping[str, str] | None = None,
    lexicon: Lexicon | None = None,
) -> str:
    """The severity of a labelled change; `override` is the source's `severity` setting, if any.

    A one-level override applies to every label except `irrelevant` (a source
    pinned to "high" should not page anyone about fake jerseys); a table
    override applies to the labels it names, `"*"` standing for the others.
    """
    rules = (lexicon or load_lexicon()).severity_rules
    levels = tuple(rules.get("levels", LEVELS))
    index = levels.index(_check(rules.get("base", {}).get(label, levels[0]), levels, f"severity.base.{label}"))
    if label == IRRELEVANT:
        index = 0
    else:
        for rule in _rules_for(rules, label):
            if _rule_matches(rule, label, official, facts):
                index = min(index + int(rule.get("by", 1)), len(levels) - 1)
    level = levels[index]
    if override is None:
        return level
    if isinstance(override, str):
        return level if label == IRRELEVANT else _check(override, levels, "severity override")
    if label in override:
        return _check(override[label], levels, f"severity override for {label}")
    if "*" in override and label != IRRELEVANT:
        return _check(override["*"], levels, "severity override '*'")
    return level
