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

_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-/]*")
_NOT_WORD = re.compile(r"[^a-z0-9.\-]+")
_QUOTES = "“”\"'‘’「」"


@dataclass(frozen=True, slots=True)
class Term:
    """One glossary entry: the Chinese, its English as a noun and as a modifier, and its kind."""

    zh: str
    en: str
    attr: str
    kind: str = "noun"
    match: tuple[str, ...] = ()
    material: str = ""  # for clustering: what material it names ("REE" for every rare-earth term)
    concept: str = ""  # for clustering: the concept it stands for, when not its own English


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
        return _render(tokens)

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


def join_and(parts: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    parts = [part for part in parts if part]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _render(tokens: list[Term]) -> str | None:
    """Compose English from the terms of one noun phrase (the rules in the module docstring)."""
    tokens = [token for token in tokens if token.kind != "drop"]
    quant = ""
    while tokens and tokens[0].kind in ("quant", "related"):
        if tokens[0].kind == "quant":
            quant = tokens[0].en
        tokens = tokens[1:]
    if not tokens:
        return None
    lead = f"{quant} " if quant else ""
    kinds = [token.kind for token in tokens]
    if "related" in kinds:  # X相关Y -> "Y related to X"; 境外相关稀土物项 -> "overseas rare earth items"
        at = len(kinds) - 1 - kinds[::-1].index("related")
        if all(kind == "adj" for kind in kinds[:at]):
            body = _coordinate(tokens[:at] + tokens[at + 1 :])
            return f"{lead}{body}" if body else None
        left, right = _coordinate(tokens[:at]), _render(tokens[at + 1 :])
        if not left or not right:
            return None
        return f"{lead}{right} related to {left}"
    if "others" in kinds:  # X等Y -> "X and other Y"; X等 -> "X and others"
        at = kinds.index("others")
        listed = _parts(tokens[:at])
        if not listed:
            return None
        if at == len(tokens) - 1:
            return f"{lead}{', '.join(listed)} and others"
        right = _coordinate(tokens[at + 1 :])
        return f"{lead}{', '.join(listed)} and other {right}" if right else None
    body = _coordinate(tokens)
    return f"{lead}{body}" if body else None


def _coordinate(tokens: list[Term]) -> str | None:
    parts = _parts(tokens)
    return join_and(parts) if parts else None


def _parts(tokens: list[Term]) -> list[str] | None:
    """The parts of a phrase joined by 、/和/及, each a compound. Listed materials before a generic noun share it
    (钨、碲产品 -> "tungsten and tellurium products"); materials in a row are a list (镓锗 -> gallium, germanium)."""
    if not tokens or any(token.kind in ("related", "others", "quant") for token in tokens):
        return None
    parts: list[list[Term]] = [[]]
    for token in tokens:
        if token.kind == "conj":
            parts.append([])
        else:
            parts[-1].append(token)
    if any(not part for part in parts):
        return None
    last = parts[-1]
    if (
        len(parts) > 1
        and len(last) > 1
        and last[-1].kind == "head"
        and all(token.kind == "element" for token in last[:-1])
        and all(len(part) == 1 and part[0].kind == "element" for part in parts[:-1])
    ):
        listed = [part[0] for part in parts[:-1]] + last[:-1]
        return [f"{join_and([token.attr for token in listed])} {last[-1].en}"]
    out: list[str] = []
    for part in parts:
        if len(part) > 1 and all(token.kind == "element" for token in part):
            out.extend(token.en for token in part)
            continue
        text = _compound(part, coordinated=_element_run(part))
        if text is None:
            return None
        out.append(text)
    return out


def _element_run(part: list[Term]) -> int:
    """How many listed materials a compound starts with (镓锗 -> 2): they are coordinated, not stacked."""
    run = 0
    for token in part:
        if token.kind != "element":
            break
        run += 1
    return run if run > 1 else 0


def _compound(part: list[Term], coordinated: int = 0) -> str | None:
    """Nouns in a row: every one but the last as a modifier ("rare earth equipment"); the first
    `coordinated` ones are a list ("gallium and germanium")."""
    if not part:
        return None
    adjectives = []
    while part and part[0].kind == "adj":
        adjectives.append(part[0].en)
        part = part[1:]
        coordinated = max(0, coordinated - 1)
    if not part:
        return None
    if coordinated and coordinated >= len(part):
        words = join_and([token.en for token in part])
        return " ".join([*adjectives, words])
    words: list[str] = []
    if coordinated:
        listed = part[:coordinated]
        part = part[coordinated:]
        words.append(join_and([token.attr for token in listed]))
    for index, token in enumerate(part):
        last = index == len(part) - 1
        if token.kind == "adj":
            words.append(token.en)
        else:
            words.append(token.en if last else token.attr)  # a generic noun ("head") reads like any other here
    return " ".join([*adjectives, *words])


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
