"""Apply a source's `match`: keep the items about critical-mineral supply, count the rest.

Terms are compiled once per distinct term list with the lexicon's own matcher (termmatch) and read the
item's title and text after the lexicon's normalisation (textnorm: NFKC, traditional -> simplified,
lower case), so `钨` also finds 鎢 in a Hong Kong feed and `magnet` finds "magnets".
Labels cost a classification per item, so they are only consulted for items no term kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from watcher.analyze.termmatch import Group, Matcher
from watcher.analyze.textnorm import normalize

if TYPE_CHECKING:
    from watcher.config.match import Match
    from watcher.config.sources import Source
    from watcher.core.models import Item


class ItemFilter:
    """Filters items by their source's `match`; shared by every check of a pipeline (thread-safe)."""

    def __init__(self, lexicon: Callable[[], Any] | None = None) -> None:
        self._lexicon = lexicon
        self._matchers: dict[tuple[str, ...], Matcher] = {}
        self._lock = threading.Lock()

    def apply(self, items: list[Item], source: Source) -> tuple[list[Item], int]:
        """The items `source.match` keeps, in page order, and how many it left out."""
        match = source.match
        if match is None:
            return items, 0
        kept = [item for item in items if self.keeps(item, match)]
        return kept, len(items) - len(kept)

    def keeps(self, item: Item, match: Match) -> bool:
        if match.terms:
            text = normalize(f"{item.title}\n{item.text}" if item.text else item.title).lower()
            if self._matcher(match.terms).find(text):
                return True
        if match.labels:
            from watcher.analyze.classify import classify

            return classify(item.title, item.text, self._load_lexicon()).label in match.labels
        return False

    def _matcher(self, terms: tuple[str, ...]) -> Matcher:
        with self._lock:
            matcher = self._matchers.get(terms)
            if matcher is None:
                # terms are normalised like the text they are looked for in (a traditional 稀土 term, full-width ＲＥ)
                group = Group(section="match", weight=1.0, terms=tuple(normalize(term) for term in terms), name="match")
                matcher = self._matchers[terms] = Matcher([group])
            return matcher

    def _load_lexicon(self) -> Any:
        if self._lexicon is not None:
            return self._lexicon()
        from watcher.analyze.lexicon import load_lexicon

        return load_lexicon()
