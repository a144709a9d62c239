"""What the statistical model reads in a text: word and character n-grams, and the rules' evidence.

The same function serves training (bench/train_classify.py) and run time, so
the two can never disagree on a feature:

* Latin script: lower-cased words, crudely stemmed ("restrictions",
  "restricted" -> "restrict"), as unigrams and adjacent bigrams;
* Chinese: character unigrams and bigrams of each run of Han characters -
  no segmenter is needed, and 出口管制 yields 出口, 口管, 管制;
* the rules: one feature per lexicon group found ("r:quota nouns"), worth 1
  in a title, less in a body or as a background mention - so a user's new
  term in an existing group inherits what the model learned for the group.

Digits are dropped: years and tonnages say little about the label and much
about the dev set's dates.
"""

from __future__ import annotations

import re
from itertools import pairwise

_LATIN = re.compile(r"[a-z]+")
_HAN = re.compile(r"[\u3400-\u9fff]+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ions", "ion", "ers", "ies", "ied", "es", "ed", "er", "s", "ly")
_STOP = frozenset(
    {
        *("a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "by", "with", "at", "from", "as", "is"),
        *("are", "was", "were", "be", "been", "its", "it", "this", "that", "their", "his", "her", "s", "says"),
        *("said", "will", "would", "could", "may"),
    }
)
RULE = "r:"
BODY_CHARS = 400  # of a body, only the lead is read: the model was trained on headlines and leads
_stems: dict[str, str] = {}


def stem(word: str) -> str:
    """A crude English stem: enough to let "curbs", "curbed" and "curbing" share what they taught."""
    found = _stems.get(word)
    if found is not None:
        return found
    out = word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    out = out.replace("licenc", "licens")
    if len(_stems) < 200_000:
        _stems[word] = out
    return out


def text_features(low: str) -> set[str]:
    """The n-gram features of one normalised, lower-cased text."""
    out: set[str] = set()
    words = [stem(w) for w in _LATIN.findall(low) if w not in _STOP]
    if not low.isascii():
        for run in _HAN.findall(low):
            out.update(run)
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    out.update(words)
    out.update(f"{a} {b}" for a, b in pairwise(words))
    return out
