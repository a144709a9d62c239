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

import math
import re
from dataclasses import dataclass, field

from watcher.analyze.features import BODY_CHARS, RULE, text_features
from watcher.analyze.lexicon import Lexicon, load_lexicon
from watcher.analyze.model import Model, load_model
from watcher.analyze.termmatch import Group, Hit
from watcher.analyze.textnorm import normalize_pair

IRRELEVANT = "irrelevant"
GATE = "gate"
RULES, RULES_AND_MODEL, DECISIVE = "rules", "rules + model", "decisive term"


@dataclass(frozen=True)
class Classification:
    """The label, its score, the terms that decided it and every label's score (for explaining)."""

    label: str
    score: float
    matched: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)  # the rules' score per label (and the gate)
    probabilities: dict[str, float] = field(default_factory=dict)  # the model's, when it ran
    decided_by: str = RULES  # gate | rules | rules + model | decisive term


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


def classify(title: str, text: str = "", lexicon: Lexicon | None = None, model: Model | None = None) -> Classification:
    """Label one change from its title and body; deterministic for a given lexicon and model."""
    lexicon = lexicon or load_lexicon()
    fields = fields_of(title or "", text or "", lexicon)
    return decide(collect(fields, lexicon), fields, lexicon, model)


def _rules(
    evidence: dict[int, dict[str, _Evidence]], fields: list[Field], lexicon: Lexicon
) -> tuple[Classification, bool, dict[str, list[tuple[float, dict[str, _Evidence]]]]]:
    """The rules alone: score the groups, apply the relevance gate, pick the label (ties: `scoring.order`)."""
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
        return Classification(IRRELEVANT, 0.0, matched, rounded, decided_by=GATE), False, sections
    matched = _surfaces(sections.get(best, []), fields)[:8] + _surfaces(sections.get(GATE, []), fields)[:2]
    return Classification(best, rounded[best], list(dict.fromkeys(matched)), rounded, decided_by=RULES), True, sections


def model_of(lexicon: Lexicon) -> Model | None:
    """The model the lexicon asks for (None when `[model] enabled = false`), loaded on first use."""
    if not lexicon.model_enabled:
        return None
    return load_model(lexicon.model_file)


def model_inputs(
    evidence: dict[int, dict[str, _Evidence]], fields: list[Field], lexicon: Lexicon
) -> tuple[set[str], dict[str, float]]:
    """The model's features: n-grams of the title and the body's lead, and one feature per rule group found."""
    ngrams: set[str] = set()
    for number, (_, _, low, _) in enumerate(fields):
        ngrams |= text_features(low if number == 0 else low[:BODY_CHARS])
    rules: dict[str, float] = {}
    groups, top = lexicon.groups, lexicon.title_factor
    for index, found in evidence.items():
        key = rule_feature(groups[index])
        value = max(e[0] for e in found.values()) / top
        if value > rules.get(key, 0.0):
            rules[key] = value
    return ngrams, rules


def rule_feature(group: Group) -> str:
    return f"{RULE}{group.section}:{group.name}"


def _unseen_votes(evidence: dict[int, dict[str, _Evidence]], lexicon: Lexicon, model: Model) -> dict[str, float]:
    """Rule groups the model never saw (a user's new group) vote for their label with their rule weight."""
    votes: dict[str, float] = {}
    groups, top, scale = lexicon.groups, lexicon.title_factor, lexicon.unseen_group_scale
    for index, found in evidence.items():
        group = groups[index]
        if group.section == GATE or rule_feature(group) in model.weights:
            continue
        strength = max(e[0] for e in found.values()) / top
        votes[group.section] = votes.get(group.section, 0.0) + scale * group.weight * strength
    return votes


def combine(
    rule_scores: dict[str, float], probabilities: dict[str, float], lexicon: Lexicon, model: Model
) -> dict[str, float]:
    """The rules' and the model's probabilities of each relevant label, multiplied (geometric mix) and
    normalised: p_rules = softmax(rule score / `rules_temperature`), weighted `rules_share`, the model
    1 - `rules_share`."""
    labels = [name for name in lexicon.order if name in model.labels]
    temperature, share = lexicon.rules_temperature, lexicon.rules_share
    top = max(rule_scores.get(name, 0.0) for name in labels) / temperature
    exps = {name: math.exp(rule_scores.get(name, 0.0) / temperature - top) for name in labels}
    total = sum(exps.values())
    mixed = {
        name: share * math.log(exps[name] / total + 1e-12) + (1 - share) * math.log(probabilities[name] + 1e-12)
        for name in labels
    }
    peak = max(mixed.values())
    norm = sum(math.exp(value - peak) for value in mixed.values())
    return {name: math.exp(value - peak) / norm for name, value in mixed.items()}


def _decisive(evidence: dict[int, dict[str, _Evidence]], lexicon: Lexicon) -> str | None:
    """The label of the strongest `decisive = true` group found with full weight (not in passing), if any."""
    best, best_value = None, 0.0
    for index, found in evidence.items():
        group = lexicon.groups[index]
        if not group.decisive or group.weight <= 0 or group.section == GATE:
            continue
        value = group.weight * max(e[0] for e in found.values())
        if value >= group.weight * lexicon.body_factor and value > best_value:
            best, best_value = group.section, value
    return best


def decide(
    evidence: dict[int, dict[str, _Evidence]], fields: list[Field], lexicon: Lexicon, model: Model | None = None
) -> Classification:
    """The rules' verdict, then the model's, combined by the precedence documented in lexicon.toml:

    1. relevance: relevant if the rules' gate passes; if it does not, the model may still find the text
       relevant (P(irrelevant) below `[model] relevance`). A relevant text is never `irrelevant`.
    2. a `decisive = true` group found (not in passing) fixes the label;
    3. a label the model does not know (a user's new label) wins when the rules pick it;
    4. otherwise the label with the highest product of the rules' probability (softmax of their scores)
       and the model's (whose inputs are the n-grams and the rules' groups; groups it never saw vote
       with their weight), see combine().
    Without a model (`[model] enabled = false`) the rules alone decide, as in step 1 and their scores."""
    rules, relevant, sections = _rules(evidence, fields, lexicon)
    model = model if model is not None else model_of(lexicon)
    if model is None:
        return rules
    ngrams, rule_inputs = model_inputs(evidence, fields, lexicon)
    probabilities = model.scores(ngrams, rule_inputs, _unseen_votes(evidence, lexicon, model))
    rounded = {label: round(p, 3) for label, p in probabilities.items()}
    if not relevant and probabilities.get(IRRELEVANT, 0.0) >= lexicon.model_relevance:
        return Classification(IRRELEVANT, 0.0, rules.matched, rules.scores, rounded, GATE)
    decisive = _decisive(evidence, lexicon)
    if decisive is not None:
        label, how, score = decisive, DECISIVE, rules.scores.get(decisive, 0.0)
    elif rules.label != IRRELEVANT and rules.label not in model.labels:
        label, how, score = rules.label, RULES, rules.scores.get(rules.label, 0.0)
    else:
        combined = combine(rules.scores, probabilities, lexicon, model)
        label = max(combined, key=lambda name: (combined[name], -lexicon.order.index(name)))
        how, score = (RULES_AND_MODEL, round(combined[label], 3))
    matched = _surfaces(sections.get(label, []), fields)[:6] + _surfaces(sections.get(GATE, []), fields)[:2]
    if how == RULES_AND_MODEL and (label != rules.label or label not in sections):
        matched += [f"~{feature}" for feature in model.evidence(ngrams, label)]
    return Classification(label, score, list(dict.fromkeys(matched)), rules.scores, rounded, how)


def explain(title: str, text: str = "", lexicon: Lexicon | None = None, model: Model | None = None) -> dict:
    """How each part voted, for `watcher classify --explain`: the gate, the rules' score per label with the
    terms behind it, the model's probability per label split into bias, rule-group and n-gram parts with
    the features that pushed it most, the mix, and which step of the precedence decided."""
    lexicon = lexicon or load_lexicon()
    fields = fields_of(title or "", text or "", lexicon)
    evidence = collect(fields, lexicon)
    result = decide(evidence, fields, lexicon, model)
    rules, _, sections = _rules(evidence, fields, lexicon)
    out: dict = {
        "label": result.label,
        "decided_by": result.decided_by,
        "gate": {"score": rules.scores.get(GATE, 0.0), "threshold": lexicon.gate_threshold},
        "rules": {
            label: {"score": rules.scores.get(label, 0.0), "terms": _surfaces(sections.get(label, []), fields)[:6]}
            for label in (GATE, *lexicon.order)
        },
        "rules_label": rules.label,
    }
    model = model if model is not None else model_of(lexicon)
    if model is not None:
        ngrams, rule_inputs = model_inputs(evidence, fields, lexicon)
        vote = model.vote(ngrams, rule_inputs, _unseen_votes(evidence, lexicon, model))
        out["model"] = {
            label: {
                "p": round(vote.probabilities[label], 3),
                "bias": round(vote.bias[label], 3),
                "rules": round(vote.from_rules[label], 3),
                "ngrams": round(vote.from_ngrams[label], 3),
                "top": vote.top[label],
            }
            for label in model.labels
        }
        if rules.label != IRRELEVANT or result.label != IRRELEVANT:
            mixed = combine(rules.scores, vote.probabilities, lexicon, model)
            out["combined"] = {label: round(p, 3) for label, p in mixed.items()}
    return out
