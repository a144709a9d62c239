"""Story merging: does a new sighting join an earlier event, and does it upgrade it?

Several sources report one story, and watcher should say it once. Two sightings tell one story when they
share a key (the same normalised title or document number) or when what they report agrees (`agreement`:
the same label, and agreeing parties, amounts, document, quota batch, elements, concepts or title words,
with no fact that contradicts). But a merge may never lower what a reader gets: a later sighting that is
more severe, of another (relevant) label, from an official source, or that adds a key fact (a document
number, an amount, a quota figure, an effective date) upgrades the event and is routed once; a change of a
watched document (`page` source) with new text is news of its own. This module only decides; `store.events`
reads the candidate events and writes the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from watcher.core.labels import IRRELEVANT
from watcher.core.models import NewEvent

RANK = {"low": 0, "medium": 1, "high": 2}
SAME_STORY = 3.0  # the agreement score from which two sightings are one story
VETO = -10.0  # facts that cannot both be true of one story (two document numbers, two quota batches)
# Facts whose arrival is news to a reader who has the story: the update says what they are.
KEY_FACTS = {
    "doc_no": "the document number",
    "amount_usd": "the amount",
    "mining_tonnes": "the mining quota",
    "smelting_tonnes": "the smelting/separation quota",
    "effective_date": "the date it takes effect",
}
# what travels with a key fact when it is merged into the event
_COMPANIONS = {
    "doc_no": ("doc_numbers", "suspends", "amends"),
    "amount_usd": ("amount", "currency", "amounts_usd", "money"),
    "mining_tonnes": ("year", "batch", "deltas"),
    "smelting_tonnes": ("year", "batch", "deltas"),
    "effective_date": (),
}


@dataclass(frozen=True)
class Sighting:
    """One earlier report of a story: which source, which item, which text, and what it reported."""

    source: str
    item_id: str | None
    text_hash: str | None
    page: bool
    story: Mapping[str, Any] | None = None  # analyze.cluster.story_features of that report


@dataclass(frozen=True)
class Story:
    """What the store knows of an earlier event: what its readers were told, and who reported it."""

    id: int
    label: str
    severity: str
    official: bool
    sightings: tuple[Sighting, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)
    english: bool = True  # its title is English (its headline is the title itself)


@dataclass(frozen=True)
class Decision:
    """`joins`: the sighting belongs to the story. `reasons`: why it upgrades it (none: a quiet merge).
    `added`: key facts it brings that the event lacked. `retitle`: an English title for a story told so far
    in another language, taken quietly (same label, no lower severity, never over an official title)."""

    joins: bool
    reasons: tuple[str, ...] = ()
    added: Mapping[str, Any] = field(default_factory=dict)
    retitle: bool = False

    @property
    def upgrade(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class Agreement:
    """How much two reports agree, and why (for `watcher history --json` and tests)."""

    score: float
    reasons: tuple[str, ...]

    @property
    def same(self) -> bool:
        return self.score >= SAME_STORY


def decide(story: Story, sighting: NewEvent, by_key: bool = True) -> Decision:
    """Does `sighting` join `story`, and does it upgrade it? `by_key`: they share a story key within the
    window; otherwise they must agree (`agreement`) and have the same relevant label."""
    same_source = [seen for seen in story.sightings if seen.source == sighting.source]
    if sighting.page and same_source and all(seen.text_hash != sighting.text_hash for seen in same_source):
        return Decision(joins=False)  # another edit of the watched document: its own event
    if not by_key and not matches(story, sighting).same:
        return Decision(joins=False)
    if sighting.label == IRRELEVANT:
        return Decision(joins=True)  # adds a link, never an alert
    reasons = []
    if RANK.get(sighting.severity, -1) > RANK.get(story.severity, -1):
        reasons.append(f"more severe ({story.severity} -> {sighting.severity})")
    if sighting.label != story.label:
        reasons.append(f"another label ({story.label} -> {sighting.label})")
    if sighting.official and not story.official:
        reasons.append("an official source")
    added = added_facts(story.facts, sighting.facts) if story.label != IRRELEVANT else {}
    reasons += [f"adds {KEY_FACTS[key]}" for key in KEY_FACTS if key in added]
    retitle = (
        not story.english
        and not story.official
        and sighting.headline == sighting.title
        and sighting.label == story.label
        and not sighting.page
        and RANK.get(sighting.severity, -1) >= RANK.get(story.severity, -1)
    )
    return Decision(joins=True, reasons=tuple(reasons), added=added, retitle=retitle)


def matches(story: Story, sighting: NewEvent) -> Agreement:
    """The best agreement of `sighting` with any report of `story`; none across labels, when irrelevant, or when
    any report of the story contradicts it (another document number or quota batch: a veto, so that two
    notices told by one outlet each never become one story through it)."""
    if sighting.label == IRRELEVANT or story.label != sighting.label or not sighting.story:
        return Agreement(0.0, ("another label" if story.label != sighting.label else "nothing to compare",))
    best = Agreement(0.0, ("no report to compare",))
    for seen in story.sightings:
        if not seen.story:
            continue
        found = agreement(seen.story, sighting.story)
        if found.score <= VETO:
            return found
        if found.score > best.score:
            best = found
    return best


def added_facts(known: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The key facts `new` has and `known` lacks, with the facts that go with them (an amount's currency)."""
    added: dict[str, Any] = {}
    for key in KEY_FACTS:
        if new.get(key) not in (None, "", [], {}) and known.get(key) in (None, "", [], {}):
            added[key] = new[key]
            for companion in _COMPANIONS[key]:
                if companion in new and companion not in known:
                    added[companion] = new[companion]
    return added


def agreement(a: Mapping[str, Any], b: Mapping[str, Any]) -> Agreement:
    """Whether two reports say the same thing, from their story features (`analyze.cluster.story_features`).

    Facts that must be equal when both reports have them decide at once (document numbers, quota batches);
    amounts, tonnages, companies and elements count for when they agree and against when they differ;
    concepts and title words add weight. Two reports that share only a party stay apart.
    """
    score, reasons = 0.0, []
    if a.get("doc") and b.get("doc"):
        if a["doc"] == b["doc"]:
            return Agreement(10.0, (f"same document {a['doc']}",))
        return Agreement(VETO, ("different documents",))
    if a.get("quota") and b.get("quota"):
        if list(a["quota"]) != list(b["quota"]):
            return Agreement(VETO, ("different quota batches",))
        score += 2.0
        reasons.append("same quota batch")
    amounts_a, amounts_b = _amounts(a), _amounts(b)
    if amounts_a and amounts_b:
        if any(_close(x, y) for x in amounts_a for y in amounts_b):
            score += 3.0
            reasons.append("same amount")
        else:
            score -= 3.0
            reasons.append("different amounts")
    tonnes_a, tonnes_b = set(a.get("tonnes") or []), set(b.get("tonnes") or [])
    if tonnes_a and tonnes_b:
        if any(_close(x, y, 0.01) for x in tonnes_a for y in tonnes_b):
            score += 2.0
            reasons.append("same tonnage")
        else:
            score -= 1.0
            reasons.append("different tonnages")
    companies_a, companies_b = set(a.get("companies") or []), set(b.get("companies") or [])
    if companies_a and companies_b:
        shared = companies_a & companies_b
        if shared:
            score += 1.5 * min(len(shared), 2)
            reasons.append("same companies: " + ", ".join(sorted(shared)))
        else:
            score -= 2.0
            reasons.append("different companies")
    others = (set(a.get("parties") or []) & set(b.get("parties") or [])) - companies_a - companies_b
    if others:
        score += 0.5
        reasons.append("same parties: " + ", ".join(sorted(others)))
    elements_a, elements_b = set(a.get("materials") or []), set(b.get("materials") or [])
    if elements_a and elements_b:
        shared = elements_a & elements_b
        if shared:  # one shared element is common; three are a signature (W, Te, Bi...)
            overlap = len(shared) / min(len(elements_a), len(elements_b))  # an outlet may name fewer
            score += min(3.0, float(len(shared))) * (0.5 + 0.5 * overlap)
            reasons.append("same materials: " + ", ".join(sorted(shared)))
        else:
            score -= 1.5
            reasons.append("different materials")
    concepts_a, concepts_b = set(a.get("concepts") or []), set(b.get("concepts") or [])
    if concepts_a and concepts_b:
        weights = {**dict(a.get("weights") or {}), **dict(b.get("weights") or {})}
        shared = sum(weights.get(c, 1.0) for c in concepts_a & concepts_b)
        overlap = shared / sum(weights.get(c, 1.0) for c in concepts_a | concepts_b)
        if overlap:
            score += 2.0 * overlap
            reasons.append(f"shared concepts {overlap:.2f}")
    if a.get("words") and b.get("words"):
        similar = _title_similarity(a["words"], b["words"])
        if similar >= 0.5:
            score += 4.0 * (similar - 0.5)
            reasons.append(f"similar titles {similar:.2f}")
    return Agreement(round(score, 3), tuple(reasons))


def _amounts(features: Mapping[str, Any]) -> list[float]:
    title = [float(value) for value in features.get("title_amounts") or []]
    if title:
        return title
    amount = features.get("amount")
    return [float(amount)] if isinstance(amount, int | float) and amount else []


def _close(x: float, y: float, tolerance: float = 0.02) -> bool:
    return abs(x - y) <= tolerance * max(abs(x), abs(y))


def _title_similarity(a: str, b: str) -> float:
    """How alike two English titles read (0..1): rapidfuzz's token-set ratio, which ignores word order and
    the words only one of them has (an outlet's "Fox Business reports")."""
    from rapidfuzz import fuzz  # imported with the first comparison, not at start-up

    return fuzz.token_set_ratio(a, b) / 100.0


def takes_over(story: Story, sighting: NewEvent) -> bool:
    """Whether the upgraded event is now told as this sighting (its label, severity, title and link).

    It is when it is more severe, when the story was irrelevant until now, or when it is the first official
    source of the same severity; a less severe sighting of another label adds its routes but keeps the story's.
    """
    if sighting.label == IRRELEVANT:
        return False
    mine, theirs = RANK.get(sighting.severity, -1), RANK.get(story.severity, -1)
    if story.label == IRRELEVANT or mine > theirs:
        return True
    return mine == theirs and sighting.official and not story.official
