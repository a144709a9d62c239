"""The one entry the pipeline calls: classify a change, extract its facts, rate its severity.

Also `compute_quota_deltas`, which compares a new quota figure with the
stored history (same batch of the previous year, else the previous batch of
the same year) - pure, the store supplies the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watcher.analyze.classify import GATE, IRRELEVANT, collect, decide, fields_of
from watcher.analyze.facts import extract_normalized
from watcher.analyze.facts.names import merge_names, names_from_hits
from watcher.analyze.lexicon import Lexicon, load_lexicon
from watcher.analyze.model import Model
from watcher.analyze.severity import severity
from watcher.analyze.termmatch import Hit
from watcher.core.models import Analysis

QUOTA_FIGURES = (
    "mining_tonnes",
    "smelting_tonnes",
    "cumulative_mining_tonnes",
    "cumulative_smelting_tonnes",
    "annual_mining_tonnes",
    "annual_smelting_tonnes",
    "rock_type_tonnes",
    "ionic_type_tonnes",
    "tungsten_concentrate_tonnes",
)


def analyze(
    title: str,
    text: str = "",
    *,
    official: bool = False,
    published: str | None = None,
    severity_override: str | Mapping[str, str] | None = None,
    lexicon: Lexicon | None = None,
    model: Model | None = None,
    title_is_context: bool = False,
) -> Analysis:
    """Label, severity, deciding terms, facts and score of one change (`model`: instead of the lexicon's).

    `title_is_context`: `text` is what changed (the lines a `page` edit added) and `title` only says
    what the page is about. Then the title may pass the relevance gate, and only when the change itself
    carries a label's words; the label, its score and the facts come from `text` alone, so a page titled
    "export controls" whose edit is "Page last reviewed: 10 October" is irrelevant.
    """
    lexicon = lexicon or load_lexicon()
    fields = fields_of(title or "", text or "", lexicon)
    name_hits: list[list[Hit]] = []
    evidence = collect(fields, lexicon, name_hits)
    context = 0 if title_is_context and title and len(fields) > 0 else None  # fields_of puts the title first
    if context is not None:
        evidence = _title_as_context(evidence, lexicon)
    result = decide(evidence, fields, lexicon, model)
    used = [
        (field, hits) for number, (field, hits) in enumerate(zip(fields, name_hits, strict=True)) if number != context
    ]
    names = merge_names([names_from_hits(field[1], hits, lexicon.name_start) for field, hits in used])
    facts = extract_normalized("\n".join(field[1] for field, _ in used), published=published, names=names)
    if result.label != IRRELEVANT:  # an irrelevant change keeps only the doc_type its own figures imply
        facts.setdefault("doc_type", result.label)
    level = severity(result.label, official=official, facts=facts, override=severity_override, lexicon=lexicon)
    return Analysis(label=result.label, severity=level, matched=list(result.matched), facts=facts, score=result.score)


def _title_as_context(evidence: dict[int, dict[str, Any]], lexicon: Lexicon) -> dict[int, dict[str, Any]]:
    """Evidence without the title's (field 0) label terms; its gate terms stay only if the body has a label term."""

    def body_only(found: dict[str, Any]) -> dict[str, Any]:
        return {term: hit for term, hit in found.items() if hit[4] != 0}  # hit[4]: the field it was found in

    groups = lexicon.groups
    labels = {group: body_only(found) for group, found in evidence.items() if groups[group].section != GATE}
    body_speaks = any(terms and groups[group].weight > 0 for group, terms in labels.items())
    gates = {
        group: found if body_speaks else body_only(found)
        for group, found in evidence.items()
        if groups[group].section == GATE
    }
    return {group: terms for group, terms in {**labels, **gates}.items() if terms}


def _latest(history: list[dict[str, Any]], key: str, year: int, batch: int | None) -> dict[str, Any] | None:
    candidates = [
        record
        for record in history
        if record.get("year") == year and record.get("batch") == batch and isinstance(record.get(key), int | float)
    ]
    return max(candidates, key=lambda r: str(r.get("published") or "")) if candidates else None


def compute_quota_deltas(facts: Mapping[str, Any], history: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Change of each quota figure against the same batch a year earlier, else the previous batch.

    >>> compute_quota_deltas({"year": 2024, "batch": 1, "mining_tonnes": 135000},
    ...                      [{"year": 2023, "batch": 1, "mining_tonnes": 120000, "published": "2023-03-24"}])
    {'mining_tonnes': {'previous': 120000, 'against': '2023 batch 1', 'change': 15000, 'pct': 12.5}}
    """
    year, batch = facts.get("year"), facts.get("batch")
    if not isinstance(year, int):
        return {}
    deltas: dict[str, dict[str, Any]] = {}
    for key in QUOTA_FIGURES:
        value = facts.get(key)
        if not isinstance(value, int | float):
            continue
        record, against = _latest(history, key, year - 1, batch), (year - 1, batch)
        if record is None and isinstance(batch, int) and batch > 1:
            record, against = _latest(history, key, year, batch - 1), (year, batch - 1)
        if record is None:
            continue
        previous = record[key]
        deltas[key] = {
            "previous": previous,
            "against": f"{against[0]} batch {against[1]}" if against[1] is not None else str(against[0]),
            "change": value - previous,
            "pct": round(100.0 * (value - previous) / previous, 2) if previous else None,
        }
    return deltas
