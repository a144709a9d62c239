"""Story merging: does a new sighting join an earlier event, and does it upgrade it?

Several sources report one story, and watcher should say it once. But a merge may never lower what a reader
gets: a later sighting that is more severe, of another (relevant) label, or from an official source upgrades
the event and is routed; a change of a watched document (`page` source) with new text is news of its own.
This module only decides; `store.events` reads the candidate events and writes the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.core.labels import IRRELEVANT
from watcher.core.models import NewEvent

RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class Sighting:
    """One earlier report of a story: which source, which item, which text."""

    source: str
    item_id: str | None
    text_hash: str | None
    page: bool


@dataclass(frozen=True)
class Story:
    """What the store knows of an earlier event: what its readers were told, and who reported it."""

    id: int
    label: str
    severity: str
    official: bool
    sightings: tuple[Sighting, ...]


@dataclass(frozen=True)
class Decision:
    """`joins`: the sighting belongs to the story. `reasons`: why it upgrades it (none: a quiet merge)."""

    joins: bool
    reasons: tuple[str, ...] = ()

    @property
    def upgrade(self) -> bool:
        return bool(self.reasons)


def decide(story: Story, sighting: NewEvent) -> Decision:
    """Does `sighting` join `story` (they share a story key within the window), and does it upgrade it?"""
    same_source = [seen for seen in story.sightings if seen.source == sighting.source]
    if sighting.page and same_source and all(seen.text_hash != sighting.text_hash for seen in same_source):
        return Decision(joins=False)  # another edit of the watched document: its own event
    if sighting.label == IRRELEVANT:
        return Decision(joins=True)  # adds a link, never an alert
    reasons = []
    if RANK.get(sighting.severity, -1) > RANK.get(story.severity, -1):
        reasons.append(f"more severe ({story.severity} -> {sighting.severity})")
    if sighting.label != story.label:
        reasons.append(f"another label ({story.label} -> {sighting.label})")
    if sighting.official and not story.official:
        reasons.append("an official source")
    return Decision(joins=True, reasons=tuple(reasons))


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
