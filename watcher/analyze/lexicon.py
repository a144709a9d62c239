"""Load the classification rules (lexicon.toml) and compile them into a fast matcher.

The rules are data so an analyst can read and change them without touching
code; this module only knows the rule *language* (documented at the top of
watcher/data/lexicon.toml): how a term is written, how a user file is merged over
the shipped one, and how terms are found in text quickly enough for every
change of every source.
"""

from __future__ import annotations

import copy
import logging
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from watcher.analyze.facts.names import name_groups
from watcher.analyze.termmatch import Group, Matcher
from watcher.core.errors import ConfigError

log = logging.getLogger(__name__)

SHIPPED = "lexicon.toml"
LABELS_KEY = "labels"
ORDERED = frozenset({"order", "levels"})  # arrays whose order is their meaning: a user value replaces them
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Lexicon:
    """The merged rules, compiled once: what classify() and severity() read."""

    data: dict[str, Any]
    order: tuple[str, ...]  # label priority, also the tie-break order
    groups: tuple[Group, ...]
    matcher: Matcher
    priors: dict[str, float]
    title_factor: float
    body_factor: float
    extra_term_share: float
    gate_threshold: float
    background_labels: frozenset[str]
    background_factor: float
    background_cues: frozenset[tuple[str, ...]]  # English cue phrases, as word tuples
    background_cue_words: frozenset[str]
    background_words_between: int
    background_zh_before: tuple[str, ...]
    background_zh_after: tuple[str, ...]
    sources: tuple[str, ...] = field(default=())
    name_start: int = 0  # groups from here on are parties and elements (watcher/data), not rules
    model_enabled: bool = True
    model_file: str | None = None  # None: the shipped model
    model_relevance: float = 0.05  # P(irrelevant) below which a text the gate missed is relevant after all
    unseen_group_scale: float = 0.5  # a rule group the model never saw votes with weight x this
    rules_share: float = 0.5  # the rules' weight in the geometric mix with the model
    rules_temperature: float = 1.0  # rule scores / this -> softmax -> the rules' probabilities

    @property
    def severity_rules(self) -> dict[str, Any]:
        return self.data.get("severity", {})


def _merge(base: Any, user: Any) -> Any:
    """Merge a user value over a shipped one (the rule is documented in lexicon.toml)."""
    if isinstance(base, dict) and isinstance(user, dict):
        if user.get("replace") is True:
            return {k: copy.deepcopy(v) for k, v in user.items() if k != "replace"}
        merged = dict(base)
        for key, value in user.items():
            if key == "remove":
                continue
            if key in base and key not in ORDERED:
                merged[key] = _merge(base[key], value)
            else:
                merged[key] = copy.deepcopy(value)
        removals = user.get("remove")
        if removals:
            _remove_terms(merged, {str(term) for term in removals})
        return merged
    if isinstance(base, list) and isinstance(user, list):
        return list(base) + [copy.deepcopy(item) for item in user if item not in base]
    return copy.deepcopy(user)


def _remove_terms(node: Any, removals: set[str]) -> None:
    """Drop every string in `removals` from term lists anywhere below `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                node[key] = [item for item in value if item not in removals]
            else:
                _remove_terms(value, removals)
    elif isinstance(node, list):
        for item in node:
            _remove_terms(item, removals)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: lexicon file not found", hint="check the --lexicon path") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _shipped() -> dict[str, Any]:
    return tomllib.loads(resources.files("watcher").joinpath("data", SHIPPED).read_text(encoding="utf-8"))


def _groups_of(section: str, table: dict[str, Any], where: str, problems: list[str]) -> list[Group]:
    groups = []
    for index, entry in enumerate(table.get("terms", [])):
        place = f"{where}.terms[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{place}: expected a table with `weight` and `terms` (or `all`)")
            continue
        weight = entry.get("weight", 1.0)
        terms = entry.get("terms", entry.get("all"))
        if not isinstance(weight, int | float) or isinstance(weight, bool):
            problems.append(f"{place}.weight: must be a number, got {weight!r}")
            continue
        if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
            problems.append(f"{place}: `terms` (or `all`) must be a non-empty list of strings")
            continue
        hint = entry.get("hint", [])
        if not isinstance(hint, list) or not all(isinstance(h, str) for h in hint):
            problems.append(f"{place}.hint: must be a list of strings")
            continue
        decisive = entry.get("decisive", False)
        if not isinstance(decisive, bool):
            problems.append(f"{place}.decisive: must be true or false, got {decisive!r}")
            continue
        groups.append(
            Group(
                section,
                float(weight),
                tuple(terms),
                all_of="all" in entry and "terms" not in entry,
                name=str(entry.get("name", f"{section}#{index}")),
                hint=tuple(hint),
                decisive=decisive,
            )
        )
    return groups


def _party_gate_terms(weight: float) -> list[Group]:
    """Company names flagged `gate = true` in data/parties.toml make a text relevant, too."""
    if weight <= 0:
        return []
    data = tomllib.loads(resources.files("watcher").joinpath("data/parties.toml").read_text(encoding="utf-8"))
    names: list[str] = []
    for party in data.get("party", []):
        if party.get("gate"):
            names.extend([party["name"], *party.get("aliases", [])])
    return [Group("gate", weight, tuple(dict.fromkeys(names)), name="gate:parties")] if names else []


def compile_lexicon(data: dict[str, Any], sources: tuple[str, ...] = ()) -> Lexicon:
    """Validate merged rules and compile them; every problem is reported at once."""
    where = " + ".join(sources) or SHIPPED
    problems: list[str] = []
    labels = data.get(LABELS_KEY, {})
    order = tuple(data.get("scoring", {}).get("order", list(labels)))
    for label in order:
        if label not in labels:
            problems.append(f"scoring.order: label {label!r} has no [labels.{label}] table")
    groups: list[Group] = _groups_of("gate", data.get("gate", {}), "gate", problems)
    for label, table in labels.items():
        if label not in order:
            problems.append(f"labels.{label}: not listed in scoring.order {list(order)}")
        groups.extend(_groups_of(label, table, f"labels.{label}", problems))
    gate = data.get("gate", {})
    groups.extend(_party_gate_terms(float(gate.get("party_weight", 0.0))))
    matcher = None
    name_start = len(groups)
    groups.extend(name_groups()[0])  # found in the same pass, for fact extraction
    if not problems:
        try:
            matcher = Matcher(groups, near_chars=int(data.get("scoring", {}).get("near_chars", 30)))
        except ValueError as error:
            problems.append(str(error))
    if problems:
        raise ConfigError([f"{where}: {p}" for p in problems], hint="see the rule language at the top of lexicon.toml")
    assert matcher is not None  # built when there was no problem
    scoring = data.get("scoring", {})
    background = data.get("background", {})
    model = data.get("model", {})
    if not isinstance(model.get("enabled", True), bool):
        raise ConfigError(f"{where}: model.enabled: must be true or false")
    model_file = model.get("file") or None
    if model_file is not None and not isinstance(model_file, str):
        raise ConfigError(f"{where}: model.file: must be a path (a string)")
    span = int(background.get("words_between", 3))
    return Lexicon(
        data=data,
        order=order,
        groups=tuple(groups),
        matcher=matcher,
        priors={label: float(table.get("prior", 0.0)) for label, table in labels.items()},
        title_factor=float(scoring.get("title_factor", 2.0)),
        body_factor=float(scoring.get("body_factor", 1.0)),
        extra_term_share=float(scoring.get("extra_term_share", 0.25)),
        gate_threshold=float(gate.get("threshold", 1.0)),
        background_labels=frozenset(background.get("labels", [])),
        background_factor=float(background.get("factor", 1.0)),
        background_cues=frozenset(tuple(_WORD.findall(cue.lower())) for cue in background.get("before", [])),
        background_cue_words=frozenset(w for cue in background.get("before", []) for w in _WORD.findall(cue.lower())),
        background_words_between=span,
        background_zh_before=tuple(background.get("zh_before", [])),
        background_zh_after=tuple(background.get("zh_after", [])),
        sources=sources,
        name_start=name_start,
        model_enabled=model.get("enabled", True),
        model_file=model_file,
        model_relevance=float(model.get("relevance", 0.05)),
        unseen_group_scale=float(model.get("unseen_group_scale", 0.5)),
        rules_share=float(model.get("rules_share", 0.5)),
        rules_temperature=float(model.get("rules_temperature", 1.0)),
    )


@lru_cache(maxsize=1)
def _default() -> Lexicon:
    return compile_lexicon(_shipped(), (SHIPPED,))


def load_lexicon(user_file: Path | None = None) -> Lexicon:
    """The shipped rules, with `user_file` (if given) merged over them.

    The shipped lexicon is compiled once per process; a user file is read
    and compiled on each call, so callers should keep the result.
    """
    if user_file is None:
        return _default()
    user_file = Path(user_file)
    merged = _merge(_shipped(), _read_toml(user_file))
    log.info("lexicon: %s merged over the shipped rules", user_file)
    return compile_lexicon(merged, (SHIPPED, str(user_file)))
