"""Label a change (quota, export_control, enforcement, deal, market, irrelevant), explainably.

Rule-based on purpose: an analyst must see *why* an alert fired and change
the rules without retraining anything. The rules live in lexicon.toml; this
module only scores them (see the scoring notes at the top of that file):

* a relevance gate first (no critical-mineral term -> irrelevant);
* each label's term groups scored, title words weighing `title_factor` times
  body words, passing mentions of a policy ("amid export controls") damped;
* the highest score wins; ties go to the label listed first in
  `scoring.order` (quota, export_control, enforcement, deal, market).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from watcher.analyze.lexicon import Lexicon, load_lexicon
from watcher.analyze.termmatch import Hit
from watcher.analyze.textnorm import normalize_pair

IRRELEVANT = "irrelevant"
GATE = "gate"


@dataclass(frozen=True)
class Classification:
    """The label, its score, the terms that decided it and every label's score (for explaining)."""

    label: str
    score: float
    matched: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


# per term: (factor, start, end, parts, field) of its strongest occurrence; the surface is cut out only for
# the terms that end up in `matched`
_Evidence = tuple[float, int, int, tuple[tuple[int, int], ...], int]
_WORD = re.compile(r"[a-z0-9]+")


def _is_background(low: str, start: int, end: int, lexicon: Lexicon, cjk: bool) -> bool:
    """Is the term introduced as a cause in passing ("amid export controls", "限制出口后")?"""
    if lexicon.background_cues:
        span = lexicon.background_words_between
        words = _WORD.findall(low, max(0, start - 50), start)[-(span + 4) :]
        if words and not lexicon.background_cue_words.isdisjoint(words):
            last = len(words)
            for i in range(last):
                for size in (1, 2, 3, 4):
                    if last - span <= i + size <= last and tuple(words[i : i + size]) in lexicon.background_cues:
                        return True
    if not cjk:
        return False
    before = low[max(0, start - 8) : start]
    if any(cue in before for cue in lexicon.background_zh_before):
        return True
    after = low[end : end + 4]
    return any(cue in after[: len(cue) + 1] for cue in lexicon.background_zh_after)


Field = tuple[str, str, str, float]  # (display, normalised, lower-cased, factor)


def collect(
    fields: list[Field], lexicon: Lexicon, names: list[list[Hit]] | None = None
) -> dict[int, dict[str, _Evidence]]:
    """Per group, per term: the strongest occurrence (title beats body, a background mention is damped).

    Hits of the party and element groups (from `lexicon.name_start` on) are not rules: they are handed to
    `names`, one list per field, for fact extraction."""
    evidence: dict[int, dict[str, _Evidence]] = {}
    groups, background, damp = lexicon.groups, lexicon.background_labels, lexicon.background_factor
    name_start = lexicon.name_start
    for number, (_, _, low, factor) in enumerate(fields):
        cjk = not low.isascii()
        field_names: list[Hit] = []
        if names is not None:
            names.append(field_names)
        for hit in lexicon.matcher.find(low):
            if hit.group >= name_start:
                field_names.append(hit)
                continue
            weight = factor
            if groups[hit.group].section in background and any(
                _is_background(low, start, end, lexicon, cjk) for start, end in (hit.parts or ((hit.start, hit.end),))
            ):
                weight *= damp
            found = evidence.get(hit.group)
            if found is None:
                found = evidence[hit.group] = {}
            seen = found.get(hit.term)
            if seen is None or weight > seen[0]:
                found[hit.term] = (weight, hit.start, hit.end, hit.parts, number)
    return evidence


def _group_score(lexicon: Lexicon, index: int, found: dict[str, _Evidence]) -> float:
    group = lexicon.groups[index]
    if group.all_of and any(term not in found for term in group.terms):
        return 0.0
    if len(found) == 1:
        return group.weight * next(iter(found.values()))[0]
    factors = sorted((e[0] for e in found.values()), reverse=True)
    total = factors[0] + lexicon.extra_term_share * sum(factors[1:])
    return group.weight * min(total, 2 * factors[0])


def _surfaces(items: list[tuple[float, dict[str, _Evidence]]], fields: list[Field]) -> list[str]:
    """The matched text of each term, strongest evidence first, as the source wrote it (after normalising)."""
    ranked = sorted(
        ((abs(value) * evidence[0], evidence) for value, found in items for evidence in found.values()),
        key=lambda pair: -pair[0],
    )
    out: dict[str, str] = {}
    for _, (_, start, end, parts, number) in ranked:
        display = fields[number][0]
        surface = " … ".join(display[a:b] for a, b in parts) if parts else display[start:end]
        out.setdefault(surface.lower(), surface)
    return list(out.values())


def fields_of(title: str, text: str, lexicon: Lexicon) -> list[Field]:
    """Title and body, normalised once, with their weights."""
    fields = []
    for raw, factor in ((title, lexicon.title_factor), (text, lexicon.body_factor)):
        if raw:
            display, norm = normalize_pair(raw)
            low = norm.lower()
            fields.append((display if len(display) == len(low) else low, norm, low, factor))
    return fields


def classify(title: str, text: str = "", lexicon: Lexicon | None = None) -> Classification:
    """Label one change from its title and body; deterministic for a given lexicon."""
    lexicon = lexicon or load_lexicon()
    fields = fields_of(title or "", text or "", lexicon)
    return decide(collect(fields, lexicon), fields, lexicon)


def decide(evidence: dict[int, dict[str, _Evidence]], fields: list[Field], lexicon: Lexicon) -> Classification:
    """Score the groups, apply the relevance gate, pick the label (ties: `scoring.order`)."""
    groups, order, priors = lexicon.groups, lexicon.order, lexicon.priors
    scores = dict.fromkeys(order, 0.0)
    scores[GATE] = 0.0
    sections: dict[str, list[tuple[float, dict[str, _Evidence]]]] = {}
    negative: list[tuple[float, dict[str, _Evidence]]] = []
    for index, found in evidence.items():
        group = groups[index]
        if len(found) == 1 and not group.all_of:
            value = group.weight * next(iter(found.values()))[0]
        else:
            value = _group_score(lexicon, index, found)
        if value:
            scores[group.section] = scores.get(group.section, 0.0) + value
            if value > 0:
                sections.setdefault(group.section, []).append((value, found))
            else:
                negative.append((value, found))
    relevant = scores[GATE] >= lexicon.gate_threshold
    if relevant:  # a prior is a floor: what a label scores when none of its words is there
        for label, prior in priors.items():
            if scores.get(label, 0.0) < prior:
                scores[label] = prior
    best, best_score = order[0], scores[order[0]]
    for label in order[1:]:  # strict `>`: a tie keeps the label listed first
        if scores[label] > best_score:
            best, best_score = label, scores[label]
    rounded = {key: round(value, 3) for key, value in scores.items()}
    if not relevant:
        matched = []
        if best_score > 0 and best in sections:
            matched = (_surfaces(sections[best], fields) + _surfaces(negative, fields))[:8]
        return Classification(IRRELEVANT, 0.0, matched, rounded)
    matched = _surfaces(sections.get(best, []), fields)[:8] + _surfaces(sections.get(GATE, []), fields)[:2]
    return Classification(best, rounded[best], list(dict.fromkeys(matched)), rounded)
