"""Names in a text: parties (companies, agencies, governments) and elements.

Both come from data files - watcher/data/parties.toml (canonical name and
aliases, English and Chinese) and watcher/data/elements.toml (symbol and
names) - found in one pass of the same fast term matcher as the classifier.
Parties also come from a few patterns for names no list can hold:
"<Name> County", "State of <Name>", "<Name> Inc/Corp/Ltd/LLC".
"""

from __future__ import annotations

import re
from functools import lru_cache

from watcher.analyze.facts._common import data_file, vocab
from watcher.analyze.termmatch import Group, Hit, Matcher

_PATTERNS = (
    ("government", re.compile(r"\b([A-Z][a-z]+(?:\s[A-Z][a-z]+)?\sCounty)\b")),
    ("government", re.compile(r"\b(State\sof\s[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\b")),
    (
        "company",
        re.compile(
            r"\b((?:[A-Z][\w&'-]*\s){1,4}"
            r"(?:Inc|Corp|Corporation|Ltd|Limited|LLC|PLC|Plc|AG|GmbH|NV)\b\.?)"
        ),
    ),
)
_PATTERN_HINTS = ("County", "State of", "Inc", "Corp", "Ltd", "Limited", "LLC", "PLC", "Plc", " AG", "GmbH", " NV")
_LEADING = re.compile(r"^(?:The|A|An|And|Of|In|For|With|By)\s+")
_ALNUM = re.compile(r"[^0-9A-Za-z]")
ACTOR = "actor:"  # marks a group of aliases that name a party only when it acts


@lru_cache(maxsize=1)
def _acts() -> re.Pattern[str]:
    """What must follow an actor alias: a verb, maybe after "'s government" or "and <Other>"."""
    verbs = vocab()["parties"]["actor_verbs"]
    latin = "|".join(re.escape(v) for v in sorted((v for v in verbs if v.isascii()), key=len, reverse=True))
    cjk = "|".join(re.escape(v) for v in verbs if not v.isascii())
    return re.compile(
        r"\.?(?:['’]s\s+government\b)?(?:\s+and\s+(?:the\s+)?[A-Z][\w.]*(?:\s[A-Z][\w.]*)?){0,2}"
        rf"\s+(?i:{latin})\b|\s*(?:{cjk})"
    )


@lru_cache(maxsize=1)
def name_groups() -> tuple[tuple[Group, ...], tuple[tuple[str, str], ...], dict[str, tuple[str, str]]]:
    """Matcher groups for parties then elements, each group's (name, kind) - kind "element" for elements -
    and alias -> (name, kind). The classifier's matcher carries these groups too, so analyze() finds
    names in the same pass as the rules."""
    groups, owners_of_group, owners = [], [], {}
    for party in data_file("parties.toml")["party"]:
        aliases = [party["name"], *party.get("aliases", [])]
        kind = party.get("kind", "company")
        groups.append(Group(f"party:{party['name']}", 1.0, tuple(aliases), name=f"party:{party['name']}"))
        owners_of_group.append((party["name"], kind))
        for alias in aliases:
            owners[alias.lower()] = (party["name"], kind)
        if party.get("actor_aliases"):
            groups.append(
                Group(f"party:{party['name']}", 1.0, tuple(party["actor_aliases"]), name=f"actor:{party['name']}")
            )
            owners_of_group.append((party["name"], ACTOR + kind))
    for symbol, entry in data_file("elements.toml")["element"].items():
        groups.append(Group(f"element:{symbol}", 1.0, tuple(entry["names"]), name=f"element:{symbol}"))
        owners_of_group.append((symbol, "element"))
    return tuple(groups), tuple(owners_of_group), owners


@lru_cache(maxsize=1)
def _matcher() -> Matcher:
    return Matcher(list(name_groups()[0]))


Names = tuple[list[tuple[str, str]], list[str]]


def names_from_hits(text: str, hits: list[Hit], first_group: int = 0) -> Names:
    """([(party, kind)], [element symbol]) from matcher hits on `text` (normalised, original case).

    Order is the order the text first names them; the longest party name wins an overlap
    ("Export-Import Bank of the United States" is not also "United States")."""
    _, owners_of_group, owners = name_groups()
    spans: list[tuple[int, int, str, str]] = []
    element_hits: list[tuple[int, int, str]] = []
    for hit in hits:
        name, kind = owners_of_group[hit.group - first_group]
        if kind == "element":
            if not _excepted(text, hit.start, hit.end, name):
                element_hits.append((hit.start, hit.end, name))
            continue
        if (
            len(hit.term) <= 5
            and hit.term.isupper()
            and _ALNUM.sub("", text[hit.start : hit.end]) != _ALNUM.sub("", hit.term)
        ):
            continue  # short capitals (MSS, US) must be written in capitals
        if kind.startswith(ACTOR):
            if not _acts().match(text, hit.end):
                continue
            kind = kind[len(ACTOR) :]
        spans.append((hit.start, hit.end, name, kind))
    if any(hint in text for hint in _PATTERN_HINTS):
        for kind, rx in _PATTERNS:
            for match in rx.finditer(text):
                name = _LEADING.sub("", match.group(1)).rstrip(".")
                start = match.start(1)
                known = owners.get(name.lower())
                if known is None:  # "About MP Materials MP Materials Corp": snap to the known name at the end
                    words = name.split()
                    for cut in range(1, len(words)):
                        tail = " ".join(words[cut:])
                        if tail.lower() in owners:
                            start, name, known = (
                                start + name.index(tail, len(" ".join(words[:cut]))),
                                tail,
                                owners[tail.lower()],
                            )
                            break
                spans.append((start, match.end(1), known[0] if known else name, known[1] if known else kind))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    parties: dict[str, str] = {}
    kept: list[tuple[int, int]] = []
    last_end = -1
    for start, end, name, kind in spans:
        if start < last_end:
            continue
        last_end = end
        kept.append((start, end))
        parties.setdefault(name, kind)
    symbols: dict[str, int] = {}
    for start, end, symbol in element_hits:  # 厦门钨业 names a company, not tungsten
        if not any(left <= start and end <= right for left, right in kept):
            symbols[symbol] = min(start, symbols.get(symbol, start))
    return list(parties.items()), sorted(symbols, key=symbols.__getitem__)


@lru_cache(maxsize=1)
def _exceptions() -> dict[str, tuple[str, ...]]:
    return {symbol: tuple(entry.get("except", ())) for symbol, entry in data_file("elements.toml")["element"].items()}


def _excepted(text: str, start: int, end: int, symbol: str) -> bool:
    """Whether the element's name here is part of a phrase listed as an exception (钐钴 = samarium-cobalt alloy)."""
    for phrase in _exceptions().get(symbol, ()):
        low = text.lower()
        at = low.find(phrase.lower(), max(0, start - len(phrase)))
        while 0 <= at <= start:
            if at + len(phrase) >= end:
                return True
            at = low.find(phrase.lower(), at + 1)
    return False


def merge_names(parts: list[Names]) -> Names:
    """Names found in a title and in a body, title first, each once."""
    parties: dict[str, str] = {}
    symbols: dict[str, None] = {}
    for found_parties, found_symbols in parts:
        for name, kind in found_parties:
            parties.setdefault(name, kind)
        symbols.update(dict.fromkeys(found_symbols))
    return list(parties.items()), list(symbols)


def find_names(text: str) -> Names:
    """([(party, kind)], [element symbol]) named in `text` (normalised)."""
    return names_from_hits(text, _matcher().find(text.lower()))


def find_parties(text: str, kinds: tuple[str, ...] | None = None) -> list[str]:
    """Canonical party names in the order the text first names them, optionally of some kinds only."""
    return [name for name, kind in find_names(text)[0] if kinds is None or kind in kinds]
