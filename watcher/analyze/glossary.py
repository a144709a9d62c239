"""The glossary (watcher/data/glossary.toml) as code can use it: phrases, document references, concepts.

Translation here is deliberately narrow: a Chinese phrase is rendered only if every character of it is a
glossary term, and composed by a few rules of how titles build noun phrases (镓、锗相关物项 -> "items related to
gallium and germanium", 锑等物项 -> "antimony and other items", 部分中重稀土 -> "certain medium and heavy rare
earths"). Anything else returns None, so the caller falls back to facts instead of showing a guess.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from watcher.analyze.phrases import Term, join_and, render

__all__ = ["Glossary", "Term", "glossary", "join_and"]

_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-/]*")
_NOT_WORD = re.compile(r"[^a-z0-9.\-]+")
_QUOTES = "“”\"'‘’「」"


def _data(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("watcher").joinpath("data", name).read_text("utf-8"))


@dataclass(frozen=True, eq=False)
class Glossary:
    terms: dict[str, Term]
    issuers: dict[str, tuple[str, str]]  # zh -> (short, long)
    issuer_suffixes: dict[str, str]
    issuer_groups: dict[str, str]
    places: dict[str, str]
    ordinals: dict[str, str]
    longest: int
    cjk_concepts: dict[str, frozenset[str]]  # Chinese term -> its concepts
    latin_concepts: dict[str, str]  # " english phrase " -> its concept
    names: tuple[str, ...] = ()  # every form of an issuer's name, longest first
    outlets: dict[str, str] = field(default_factory=dict)  # a news outlet's Chinese name -> its English name
    weights: dict[str, float] = field(default_factory=dict)  # concept -> weight for clustering (default 1)
    concept_materials: dict[str, str] = field(default_factory=dict)  # concept -> the material it names

    # -- phrases --------------------------------------------------------------------------------------

    def tokens(self, text: str) -> list[Term] | None:
        """`text` as glossary terms, longest first; None if any Chinese character is not covered."""
        out: list[Term] = []
        at, size = 0, len(text)
        while at < size:
            char = text[at]
            if char.isspace() or char in _QUOTES:
                at += 1
                continue
            latin = _LATIN.match(text, at)
            if latin:
                word = latin.group(0)
                out.append(Term(word, word, word, "latin"))
                at = latin.end()
                continue
            for length in range(min(self.longest, size - at), 0, -1):
                term = self.terms.get(text[at : at + length])
                if term is not None:
                    out.append(term)
                    at += length
                    break
            else:
                return None
        return out

    def phrase(self, text: str) -> str | None:
        """A noun phrase in English ("部分中重稀土相关物项" -> "certain items related to medium and heavy rare
        earths"), or None when a word is unknown or the phrase has a shape these rules do not read."""
        tokens = self.tokens(text.strip())
        if not tokens:
            return None
        return render(tokens)

    def country(self, text: str, attr: bool = False) -> str | None:
        term = self.terms.get(text.strip())
        if term is None or term.kind != "country":
            return None
        return term.attr if attr else term.en

    def issuer(self, text: str) -> str | None:
        """An issuer's short English name: 商务部 -> MOFCOM, 工业和信息化部办公厅 -> MIIT General Office,
        深圳海关 -> Shenzhen Customs, 工业和信息化部等七部门 -> "MIIT and six other ministries"."""
        text = text.strip()
        if text in self.issuers:
            return self.issuers[text][0]
        if text in self.issuer_groups:
            return _capital(self.issuer_groups[text])
        for suffix, english in self.issuer_suffixes.items():
            if text.endswith(suffix) and text[: -len(suffix)] in self.issuers:
                return f"{self.issuers[text[: -len(suffix)]][0]} {english}"
        if text.endswith("海关") and text[:-2] in self.places:
            return f"{self.places[text[:-2]]} Customs"
        group = re.fullmatch(r"(.+?)等([二三四五六七八九十\d]*)部(?:门|委)", text)
        if group and group.group(1) in self.issuers and not group.group(2):
            return f"{self.issuers[group.group(1)][0]} and other ministries"
        if group and group.group(1) in self.issuers:
            count = _count(group.group(2))
            if count and count > 1:
                return f"{self.issuers[group.group(1)][0]} and {_WORDS.get(count - 1, count - 1)} other ministries"
        return None

    def issuer_list(self, names: list[str]) -> str | None:
        english = [self.issuer(name) for name in names]
        if not english or any(name is None for name in english):
            return None
        return join_and(list(dict.fromkeys(str(name) for name in english)))

    def english_name(self, name: str) -> str | None:
        """A publisher or outlet as an English reader knows it: itself when it is in Latin letters, else its
        English name (环球网 -> Huanqiu.com (Global Times), 国家安全部 (via Google News) -> MSS (via Google News));
        None when it stays Chinese."""
        text = " ".join((name or "").split())
        if not text or not any("\u3400" <= char <= "\u9fff" for char in text):
            return text or None
        outlet = self.outlets.get(normalize_name(text))
        if outlet:
            return outlet
        for issuer in self.names:
            if issuer in text:
                english = self.issuer(issuer)
                if english:
                    text = text.replace(issuer, english)
        return None if any("\u3400" <= char <= "\u9fff" for char in text) else text

    def issuer_names(self) -> list[str]:
        """Every form an issuer's name can take in a title, longest first (for the title grammar's regexes)."""
        return list(self.names)

    def ordinal(self, text: str) -> str | None:
        if text.isdigit():
            return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(int(text), f"{text}th")
        return self.ordinals.get(text)

    # -- concepts for story clustering ------------------------------------------------------------------

    def materials(self, concepts: set[str]) -> set[str]:
        """The materials among concepts: rare-earth terms are all "REE"; other materials are themselves."""
        return {self.concept_materials[concept] for concept in concepts if concept in self.concept_materials}

    def weight(self, concept: str) -> float:
        return self.weights.get(concept, 1.0)

    def concepts(self, text: str) -> set[str]:
        """What a text is about, in one vocabulary for both languages: the concepts of the glossary terms it
        contains (Chinese: the term itself, and the terms inside it; English: any of the terms' `match` phrases)."""
        found: set[str] = set()
        for name in self.issuer_names():
            if name in text:  # a Chinese agency's notice is China's act; its name says nothing else
                text = text.replace(name, " ")
                found.add("china")
        low = text.lower()
        for zh, phrases in self.cjk_concepts.items():
            if zh in text:
                found.update(phrases)
        if any("a" <= char <= "z" for char in low):
            words = " " + " ".join(_NOT_WORD.sub(" ", low).split()) + " "
            for phrase, concept in self.latin_concepts.items():
                if phrase in words:
                    found.add(concept)
        return found


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def _count(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    digits = {"二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
    return digits.get(text)


def normalize_name(text: str) -> str:
    from watcher.analyze.textnorm import normalize

    return normalize(text).strip()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def concept_key(phrase: str) -> str:
    """One spelling per concept: lowercase, hyphens as spaces, a plural `s` dropped from each word."""
    return " ".join(_singular(word) for word in re.sub(r"[^a-z0-9.]+", " ", phrase.lower()).split())


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _concept_tables(terms: dict[str, Term]) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """Chinese term -> its concept, and English phrase -> the most general concept it names (a concept is
    the term's English: 磁体 and 磁铁 are both "magnet"; "export controls" is "export control", not also
    "temporary export control")."""
    cjk: dict[str, frozenset[str]] = {}
    latin: dict[str, str] = {}
    for zh, term in sorted(terms.items(), key=lambda item: len(item[1].en), reverse=True):
        if not term.match:
            continue
        concept = concept_key(term.concept or term.en)
        if any("\u3400" <= char <= "\u9fff" for char in zh):
            cjk[zh] = frozenset({concept})
        for phrase in term.match:
            spaced = " " + " ".join(_NOT_WORD.sub(" ", phrase.lower()).split()) + " "
            latin[spaced] = concept  # shorter (more general) terms come later and win
            if not phrase.lower().endswith("s"):
                latin[spaced[:-1] + "s "] = concept
    return cjk, latin


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    """The shipped glossary, with elements and provinces added from their own data files."""
    data = _data("glossary.toml")
    terms: dict[str, Term] = {}
    for symbol, entry in _data("elements.toml")["element"].items():
        english = next((name for name in entry["names"] if name.isascii() and name.islower()), symbol)
        for name in entry["names"]:
            if not name.isascii():
                terms[name] = Term(name, english, english, "element", (english,), symbol)
    for entry in _data("provinces.toml")["province"]:
        english = next((alias for alias in entry.get("aliases", []) if alias.isascii()), None)
        if english:
            for name in (entry["name"], *entry.get("aliases", [])):
                if not name.isascii():
                    terms[name] = Term(name, english, english, "adj")
    for zh, value in data.get("terms", {}).items():
        if isinstance(value, str):
            terms[zh] = Term(zh, value, value)
        else:
            en = value.get("en", "")
            terms[zh] = Term(
                zh,
                en,
                value.get("attr", en),
                value.get("kind", "noun"),
                tuple(value.get("match", ())),
                value.get("material", ""),
                value.get("concept", ""),
            )
    issuers = {zh: (entry["short"], entry.get("long", entry["short"])) for zh, entry in data["issuers"].items()}
    places = dict(data.get("places", {}))
    for zh, english in places.items():
        terms.setdefault(zh, Term(zh, english, english, "adj"))
    cjk, latin = _concept_tables(terms)
    clustering = data.get("clustering", {})
    weights = {concept_key(c): 0.25 for c in clustering.get("generic", [])}
    weights |= {concept_key(c): 2.0 for c in clustering.get("actions", [])}
    materials = {
        concept_key(term.concept or term.en): term.material or concept_key(term.en)
        for term in terms.values()
        if term.kind == "element" and term.match and term.material != "none"
    }
    groups = dict(data.get("issuer_groups", {}))
    suffixes = dict(data.get("issuer_suffixes", {}))
    names = set(issuers) | set(groups) | {issuer + suffix for issuer in issuers for suffix in suffixes}
    names |= {place + "海关" for place in places}
    return Glossary(
        outlets={normalize_name(zh): en for zh, en in data.get("outlets", {}).items()},
        weights=weights,
        concept_materials=materials,
        names=tuple(sorted(names, key=len, reverse=True)),
        terms=terms,
        cjk_concepts=cjk,
        latin_concepts=latin,
        issuers=issuers,
        issuer_suffixes=suffixes,
        issuer_groups=groups,
        places=places,
        ordinals=dict(data.get("ordinals", {})),
        longest=max(len(key) for key in terms),
    )
