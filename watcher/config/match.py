"""The `match` table of a source: which items of a broad feed are kept.

A paper's world or business section carries a rare-earth story a few times a month among hundreds of others.
`match` keeps the items whose title or text holds one of `terms`, or whose classifier label is one of
`labels`; the rest are counted in the check log and never stored. Terms are checked here only for their form
(config cannot import the analyzer); `watcher.pipeline.match` compiles them with the lexicon's matcher.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Classifier labels an item can be kept for ("irrelevant" would keep exactly what match exists to drop).
MATCH_LABELS = ("quota", "export_control", "enforcement", "deal", "market")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9]")
NEAR = " .. "


class Match(BaseModel):
    """Keep an item if its title or text has one of `terms`, or the classifier gives it one of `labels`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    terms: tuple[str, ...] = Field(
        (),
        description="words or phrases in English or Chinese, matched like lexicon terms: whole words, plurals, "
        "'word*' prefixes, 'A .. B' within 30 characters, traditional characters and full-width forms normalised",
    )
    labels: tuple[str, ...] = Field(
        (), description=f"classifier labels that keep an item: {', '.join(MATCH_LABELS)} (costs a classification)"
    )

    @field_validator("terms")
    @classmethod
    def _terms_form(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        for term in terms:
            problem = term_problem(term)
            if problem:
                raise ValueError(f"term {term!r}: {problem}")
        return tuple(term.strip() for term in terms)

    @field_validator("labels")
    @classmethod
    def _known_labels(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [label for label in labels if label not in MATCH_LABELS]
        if unknown:
            raise ValueError(f"unknown label(s) {', '.join(unknown)}; a match keeps {', '.join(MATCH_LABELS)}")
        return labels

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        if not self.terms and not self.labels:
            raise ValueError("give terms = [...] and/or labels = [...]; an empty match would drop every item")
        return self


def term_problem(term: str) -> str | None:
    """Why the lexicon's matcher would reject this term, or None (the same rules as lexicon.toml's terms)."""
    text = unicodedata.normalize("NFKC", term).strip()  # as the matcher will see it
    if not text:
        return "empty"
    if text.startswith("re:"):
        return "regular expressions belong in a lexicon file, not in match; write the words"
    for part in text.split(NEAR) if NEAR in text else [text]:
        part = part.strip()
        if _CJK.search(part):
            if not _CJK.match(part):
                return "a Chinese term must start with a Chinese character (write the Latin part as its own word)"
        elif not _WORD.search(part):
            return "no letters, digits or Chinese characters to match"
    return None
